using System.Globalization;

namespace SandboxGrains.Grains.Sandboxes;

/// <summary>
/// Archiving: a stopped sandbox's container is committed to an image on its runner (<c>sandboxgrains/archive:{id}</c>)
/// and removed, giving the runner its CPU and memory back; <c>start</c> makes the container again from that image,
/// files, environment, daemon secret and all, on the same runner (the image is there). Previews, labels and policies
/// stay with the grain meanwhile. The archive image goes when the sandbox is deleted.
/// </summary>
internal sealed partial class SandboxGrain
{
    public async Task<SandboxInfo> ArchiveAsync(CancellationToken cancellationToken) => Shown(await ArchiveMeasuredAsync("archived on request"));

    private Task<SandboxInfo> ArchiveMeasuredAsync(string reason) => Telemetry.SandboxOperations.MeasureAsync("archive", Id, () => ArchiveCoreAsync(reason));

    private async Task<SandboxInfo> ArchiveCoreAsync(string reason)
    {
        var info = Info;
        if (info.State == SandboxState.Archived)
        {
            return info;
        }

        if (info.Adopted)
        {
            throw new SandboxException(SandboxErrorCodes.InvalidState, $"sandbox {Id} is an adopted container, its owner's: it cannot be archived");
        }

        if (info is not { State: SandboxState.Stopped, ContainerId: { } containerId })
        {
            throw new SandboxException(SandboxErrorCodes.InvalidState, $"sandbox {Id} can be archived only when stopped (it is {Name(info.State)}); stop it first");
        }

        await UpdateAsync(info with { State = SandboxState.Archiving });
        string image;
        try
        {
            // Runs to the end once begun: cut short, the commit could finish with nobody recording where it went.
            image = await Runner(info.RunnerId).ArchiveSandboxContainerAsync(containerId, Request(info), CancellationToken.None);
        }
        catch (SandboxException)
        {
            // The container is still there (a refused or failed commit removes nothing): the sandbox is stopped as before.
            await UpdateAsync(Info with { State = SandboxState.Stopped });
            throw;
        }
        catch (Exception e)
        {
            // Not known how far it got (a timeout, a lost silo): the image may exist, the container may not. In error, with
            // the image recorded so a delete removes it; reconciliation takes the sandbox back as archived if only it is left.
            state.State.ArchiveImage = SandboxLabels.ArchiveImage(Id);
            await UpdateAsync(Info with { State = SandboxState.Error, ErrorReason = $"archiving did not finish: {e.Message}" });
            throw;
        }

        state.State.ArchiveImage = image;
        await PublishArchiveAsync(info.RunnerId!, image);
        await Runner(info.RunnerId).ReleaseAsync(Id);
        logger.Archived(Id, image);
        return await UpdateAsync(Info with { State = SandboxState.Archived, ContainerId = null, ErrorReason = null }, reason);
    }

    private async Task<SandboxInfo> RestoreCoreAsync(SandboxInfo info)
    {
        var home = info.RunnerId!;
        var image = state.State.ArchiveImage
            ?? throw new SandboxException(SandboxErrorCodes.InvalidState, $"sandbox {Id} is archived but its archive image is not known");
        var wanted = new RunnerResources(info.Cpu, info.MemoryMb, 1);
        var runnerId = home;
        if (!await Runner(home).TryReserveAsync(Id, wanted))
        {
            // Its own runner is full or gone: with a copy in the snapshot registry any runner with room restores it, unless
            // it mounts volumes, which live on its own runner alone.
            if (state.State.ArchiveRemoteImage is not { } remote || info.Volumes.Count > 0)
            {
                throw new SandboxException(SandboxErrorCodes.NoCapacity, string.Create(CultureInfo.InvariantCulture,
                    $"runner {home}, which holds sandbox {Id}'s archive{(info.Volumes.Count > 0 ? " and its volumes" : "")}, has no room for its {info.Cpu} CPU and {info.MemoryMb} MB now (or is unreachable){(info.Volumes.Count > 0 ? "" : ", and no snapshot registry has a copy")}; free some there and start it again"));
            }

            runnerId = await RunnerSelector.ReserveAsync(grains, Id, wanted, remote);
            image = remote;
        }

        var runner = Runner(runnerId);
        await UpdateAsync(info with { State = SandboxState.Restoring, ErrorReason = null, RunnerId = runnerId });
        try
        {
            SandboxContainer started;
            try
            {
                started = await runner.RestoreSandboxContainerAsync(Request(Info), image, CancellationToken.None);
            }
            catch (SandboxException e) when (e.Code == SandboxErrorCodes.ImageNotFound && image == state.State.ArchiveRemoteImage)
            {
                await PullAsync(runner, image, SandboxState.Restoring);
                started = await runner.RestoreSandboxContainerAsync(Request(Info), image, CancellationToken.None);
            }

            logger.Restored(Id, runnerId);
            if (runnerId != home)
            {
                // Restored elsewhere: the archive's tags on its old runner are of no use now (that runner may be gone for good).
                state.State.ArchiveImage = image;
                await RemoveArchiveCopyAsync(home, SandboxLabels.ArchiveImage(Id));
                await RemoveArchiveCopyAsync(home, image);
            }

            return await OnServingAsync(started);
        }
        catch (SandboxException e)
        {
            // The archive is untouched: the sandbox stays archived on its own runner, with the reason, and may be started again.
            await runner.ReleaseAsync(Id);
            await UpdateAsync(Info with { State = SandboxState.Archived, RunnerId = home, ErrorReason = $"restoring failed: {e.Message}" });
            throw;
        }
        catch (Exception e)
        {
            // Not known whether a container was made: in error, its room kept; a delete removes whatever there is. It stays
            // its own runner's: that runner's archive is still the one to keep.
            await UpdateAsync(Info with { State = SandboxState.Error, RunnerId = home, ErrorReason = $"restoring did not finish: {e.Message}" });
            throw;
        }
    }

    /// <summary>
    /// A sandbox taken back from its archive image after a restart, when its grain kept no state: archived as before,
    /// with a new daemon secret (the restore writes it into the container).
    /// </summary>
    public async Task<SandboxInfo> ReconcileArchiveAsync(string runnerId, string archiveImage, CancellationToken cancellationToken)
    {
        if (state.State.Info is { } info)
        {
            if (info.RunnerId != runnerId)
            {
                // A leftover on a runner the sandbox has left: restored elsewhere from the registry copy while that runner was
                // away. Anything else is kept, whatever the sandbox's state says.
                if (state.State.ArchiveRemoteImage is { } remote && state.State.ArchiveImage == remote)
                {
                    await RemoveArchiveCopyAsync(runnerId, archiveImage);
                }

                return info;
            }

            // The runner lists an archive only for a sandbox with no container: one caught on the way into or out of its
            // archive (a silo died) is archived, nothing else.
            if (info.State is SandboxState.Archived or SandboxState.Destroying)
            {
                return info;
            }

            state.State.ArchiveImage = archiveImage;
            state.State.DaemonAddress = null;
            await Runner(runnerId).ReleaseAsync(Id, CancellationToken.None);
            return await UpdateAsync(info with { State = SandboxState.Archived, ContainerId = null, ErrorReason = null }, "found archived at start-up");
        }

        var found = await Runner(runnerId).ReadArchiveAsync(archiveImage, cancellationToken);
        state.State = new SandboxRecord
        {
            Info = SandboxInfoFactory.FromArchive(Id, runnerId, found, time.GetUtcNow()),
            DaemonToken = NewDaemonToken(),
            ArchiveImage = archiveImage,
        };
        await state.WriteStateAsync(CancellationToken.None);
        await Registry.AddAsync(Id, CancellationToken.None);
        await ScheduleLifecycleAsync();
        logger.Rebuilt(Id, runnerId);
        return Info;
    }

    /// <summary>
    /// With a snapshot registry configured, a copy of the archive goes there, so the sandbox can be restored on any runner
    /// when its own is full or gone. A failed push leaves the archive as it is, on its runner only.
    /// </summary>
    private async Task PublishArchiveAsync(string runnerId, string image)
    {
        // A copy from an earlier archive is out of date from here on: it must not be restored, whatever happens below.
        state.State.ArchiveRemoteImage = null;
        if (RemoteArchive is not { } remote)
        {
            return;
        }

        try
        {
            await Runner(runnerId).PublishImageAsync(image, remote, CancellationToken.None);
            state.State.ArchiveRemoteImage = remote;
        }
        catch (Exception e)
        {
            logger.ArchiveNotPublished(Id, e.Message);
            await RemoveArchiveCopyAsync(runnerId, remote);
        }
    }

    /// <summary>Where this sandbox's archive is copied in the snapshot registry; null without one.</summary>
    private string? RemoteArchive => snapshotOptions.Value.Registry is { Length: > 0 } registry ? $"{registry}/{SandboxLabels.ArchiveImage(Id)}" : null;

    /// <summary>
    /// The archive's copy in the registry goes with the sandbox, also one from an earlier archive whose copy was not
    /// replaced; one the registry will not delete is logged and left.
    /// </summary>
    private async Task RemoveRemoteArchiveAsync()
    {
        if (state.State.ArchiveImage is null || RemoteArchive is not { } remote)
        {
            return;
        }

        try
        {
            await manifests.DeleteAsync(remote, CancellationToken.None);
        }
        catch (Exception e) when (e is RegistryException or HttpRequestException or OperationCanceledException)
        {
            logger.ArchiveCopyLeft(Id, remote, e.Message);
        }
    }

    private async Task RemoveArchiveCopyAsync(string runnerId, string image)
    {
        try
        {
            await Runner(runnerId).RemoveImageAsync(image, CancellationToken.None);
        }
        catch (Exception e)
        {
            // The runner is away: its silo lists the leftover when it is back, and this grain removes it then.
            logger.ArchiveCopyLeft(Id, $"{image} on runner {runnerId}", e.Message);
        }
    }

    /// <summary>What the runner labels an archive or a restored container with: the sandbox as it is now (policies and labels changed since create included).</summary>
    private SandboxContainerRequest Request(SandboxInfo info) => new(Id, info.Name, SpecOf(info), state.State.DaemonToken!, info.CreatedAt);

    private static SandboxSpec SpecOf(SandboxInfo info) => new()
    {
        Image = info.Image,
        Name = info.Name,
        Env = info.Env,
        Labels = info.Labels,
        Cpu = info.Cpu,
        MemoryMb = info.MemoryMb,
        WorkDir = info.WorkDir,
        User = info.User,
        Injection = info.Injection,
        Policies = info.Policies,
        Volumes = info.Volumes,
    };
}
