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
    public async Task<SandboxInfo> ArchiveAsync(CancellationToken cancellationToken) => Shown(await ArchiveCoreAsync("archived on request"));

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
        await Runner(info.RunnerId).ReleaseAsync(Id);
        logger.Archived(Id, image);
        return await UpdateAsync(Info with { State = SandboxState.Archived, ContainerId = null, ErrorReason = null }, reason);
    }

    private async Task<SandboxInfo> RestoreCoreAsync(SandboxInfo info)
    {
        var runner = Runner(info.RunnerId);
        var image = state.State.ArchiveImage
            ?? throw new SandboxException(SandboxErrorCodes.InvalidState, $"sandbox {Id} is archived but its archive image is not known");
        if (!await runner.TryReserveAsync(Id, new RunnerResources(info.Cpu, info.MemoryMb, 1)))
        {
            throw new SandboxException(SandboxErrorCodes.NoCapacity, string.Create(CultureInfo.InvariantCulture,
                $"runner {info.RunnerId}, which holds sandbox {Id}'s archive, has no room for its {info.Cpu} CPU and {info.MemoryMb} MB now; free some there and start it again"));
        }

        await UpdateAsync(info with { State = SandboxState.Restoring, ErrorReason = null });
        try
        {
            var started = await runner.RestoreSandboxContainerAsync(Request(info), image, CancellationToken.None);
            logger.Restored(Id, info.RunnerId ?? "?");
            return await OnServingAsync(started);
        }
        catch (SandboxException e)
        {
            // The archive is untouched: the sandbox stays archived, with the reason, and may be started again.
            await runner.ReleaseAsync(Id);
            await UpdateAsync(Info with { State = SandboxState.Archived, ErrorReason = $"restoring failed: {e.Message}" });
            throw;
        }
        catch (Exception e)
        {
            // Not known whether a container was made: in error, its room kept; a delete removes whatever there is.
            await UpdateAsync(Info with { State = SandboxState.Error, ErrorReason = $"restoring did not finish: {e.Message}" });
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
