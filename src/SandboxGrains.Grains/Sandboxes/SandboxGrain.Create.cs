namespace SandboxGrains.Grains.Sandboxes;

/// <summary>
/// Making a sandbox: where it goes (its volumes' runner, its snapshot's, else placement), the record written before any
/// container exists, and provisioning on the runner, at once or in the background (<c>wait=false</c>). A failure leaves
/// nothing behind but a record in error the caller can read and delete.
/// </summary>
internal sealed partial class SandboxGrain
{
    private async Task<SandboxInfo> CreateCoreAsync(SandboxSpec spec, bool wait)
    {
        RequireNoSandbox();

        var (fromSnapshot, snapshotRunner) = await FromSnapshotAsync(spec);
        spec = fromSnapshot;
        var handedOff = false;
        try
        {
            var required = await RequiredRunnerAsync(spec, snapshotRunner);
            await AttachVolumesAsync(spec.Volumes);
            string runnerId;
            try
            {
                runnerId = await RunnerSelector.ReserveAsync(grains, Id, spec.Resources, spec.Image, required);
            }
            catch
            {
                await DetachVolumesAsync(spec.Volumes);
                throw;
            }

            var now = time.GetUtcNow();
            state.State = new SandboxRecord
            {
                DaemonToken = NewDaemonToken(),
                PendingSpec = wait ? null : spec,
                Info = SandboxInfoFactory.FromSpec(Id, runnerId, spec, now),
            };
            await state.WriteStateAsync();
            await Registry.AddAsync(Id);
            await events.PublishAsync(StateEvent(null, Info, null));

            if (!wait)
            {
                // Finish in a separate call, so this one returns now and nothing else can run in between but queued calls.
                await this.AsReference<ISandboxGrain>().ProvisionAsync();
                handedOff = true;
                return Info;
            }

            try
            {
                return await ProvisionCoreAsync(spec);
            }
            catch (SandboxException)
            {
                // A synchronous create that fails leaves nothing behind: the runner already removed any container.
                await ForgetAsync();
                throw;
            }
            catch (Exception e)
            {
                // Not a known failure (a timeout, a lost silo): the container may yet exist, so keep the record for
                // reconciliation and the caller's delete rather than risk an orphan.
                await UpdateAsync(Info with { State = SandboxState.Error, ErrorReason = $"create did not finish: {e.Message}" });
                throw;
            }
        }
        finally
        {
            if (!handedOff)
            {
                await ReleaseSnapshotAsync(spec);
            }
        }
    }

    public async Task ProvisionAsync()
    {
        if (state.State is not { Info.State: SandboxState.Creating, PendingSpec: { } spec })
        {
            return;
        }

        try
        {
            await ProvisionCoreAsync(spec);
        }
        catch (SandboxException e)
        {
            await Runner(Info.RunnerId).ReleaseAsync(Id);
            await UpdateAsync(Info with { State = SandboxState.Error, ErrorReason = e.Message });
        }
        catch (Exception e)
        {
            await UpdateAsync(Info with { State = SandboxState.Error, ErrorReason = $"create did not finish: {e.Message}" });
        }
        finally
        {
            await ReleaseSnapshotAsync(spec);
        }
    }

    private async Task<SandboxInfo> ProvisionCoreAsync(SandboxSpec spec)
    {
        var info = Info;
        var request = new SandboxContainerRequest(Id, info.Name, spec, state.State.DaemonToken!, info.CreatedAt);
        SandboxContainer created;
        try
        {
            created = await CreateContainerAsync(Runner(info.RunnerId), request);
        }
        catch (SandboxException e)
        {
            logger.CreateFailed(Id, e.Message);
            throw;
        }

        state.State.PendingSpec = null;

        // The container now holds the snapshot's image itself; released before the sandbox shows started, so a caller
        // who sees it started can delete the snapshot at once. (The create's own finally releases it again, harmlessly.)
        await ReleaseSnapshotAsync(spec);
        var result = await OnServingAsync(created);
        logger.Started(Id, Info.RunnerId ?? "?", created.DaemonAddress ?? "?");
        return result;
    }

    /// <summary>Tells each of its volumes that this sandbox mounts it, so none is deleted from under it (whatever its state).</summary>
    private async Task AttachVolumesAsync(IReadOnlyList<VolumeMount> volumes)
    {
        foreach (var volume in volumes)
        {
            await grains.GetGrain<IVolumeGrain>(volume.Name).AttachAsync(Id);
        }
    }

    private async Task DetachVolumesAsync(IReadOnlyList<VolumeMount> volumes)
    {
        foreach (var volume in volumes)
        {
            await grains.GetGrain<IVolumeGrain>(volume.Name).DetachAsync(Id);
        }
    }
}
