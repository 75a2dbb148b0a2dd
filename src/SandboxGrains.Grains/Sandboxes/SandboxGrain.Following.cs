namespace SandboxGrains.Grains.Sandboxes;

/// <summary>
/// The sandbox grain following reality: Docker's events about its container, the reconciliation that hands it its
/// container again after a silo restart, and the health check every few seconds while it is started or pooled. Each
/// looks at the container and its daemon through the runner and records what it found.
/// </summary>
internal sealed partial class SandboxGrain
{
    public async Task OnContainerEventAsync(string containerId, string action)
    {
        if (state.State.Info is not { } info || info.ContainerId != containerId
            || info.State.IsOnTheWay())
        {
            // Our own operations cause these events too; they record the outcome themselves.
            return;
        }

        logger.ContainerEvent(Id, action);
        await FollowContainerAsync(info);
    }

    public async Task<SandboxInfo> ReconcileAsync(string runnerId, string containerId, CancellationToken cancellationToken)
    {
        if (state.State.Info is { } info)
        {
            if (info.ContainerId is { } known && known != containerId)
            {
                // Two containers claim this sandbox (a create interrupted by a crash): the one the grain knows wins.
                await Runner(runnerId).RemoveSandboxContainerAsync(containerId, CancellationToken.None);
                return info;
            }

            // Only the read below may be cut short: once the grain takes the container back, it records all of it.
            await Runner(runnerId).RecordAsync(Id, new RunnerResources(info.Cpu, info.MemoryMb, 1), CancellationToken.None);
            await Registry.AddAsync(Id, CancellationToken.None);
            return info.State.IsOnTheWay()
                ? info
                : await FollowContainerAsync(info with { ContainerId = containerId });
        }

        var found = await Runner(runnerId).ReadContainerAsync(containerId, cancellationToken);
        var rebuilt = SandboxInfoFactory.FromContainer(Id, runnerId, found, time.GetUtcNow());
        state.State = new SandboxRecord { Info = rebuilt, DaemonToken = found.DaemonToken };
        await Runner(runnerId).RecordAsync(Id, new RunnerResources(rebuilt.Cpu, rebuilt.MemoryMb, 1), CancellationToken.None);
        await Registry.AddAsync(Id, CancellationToken.None);
        try
        {
            // Volume records may have gone with the same restart; the container's labels say which it mounts.
            await AttachVolumesAsync(rebuilt.Volumes);
        }
        catch (SandboxException e) when (e.Code == SandboxErrorCodes.VolumeNotFound)
        {
            // Its volume is gone too; the container keeps what Docker left it.
        }
        logger.Rebuilt(Id, runnerId);
        if (found.DaemonToken is null)
        {
            return await UpdateAsync(rebuilt with { State = SandboxState.Error, ErrorReason = "the daemon secret could not be read back from the container" });
        }

        var followed = await FollowContainerAsync(rebuilt);
        if (followed.PoolId is { } poolId)
        {
            // The pool may have lost its own record of this sandbox with its silo: it keeps it, or deletes a spare.
            await Pool(poolId).MemberFoundAsync(Id);
        }

        return followed;
    }

    /// <summary>Looks at the container and its daemon, restarts a dead daemon where it can, and records what it found.</summary>
    private async Task<SandboxInfo> FollowContainerAsync(SandboxInfo info)
    {
        switch (await _health.LookAsync(info, containerId => Runner(info.RunnerId).EnsureDaemonAsync(containerId, Launch(info))))
        {
            case HealthVerdict.Serving serving:
                return await OnServingAsync(serving.Container);
            case HealthVerdict.Changed changed:
                if (!changed.ContainerRuns)
                {
                    state.State.DaemonAddress = null;
                }

                return await UpdateAsync(changed.Info);
            default:
                return info;
        }
    }

    /// <summary>Runs the health check while the sandbox is started or waits in a pool, and only then.</summary>
    private void FollowHealth() => _health.Follow(this, state.State.Info?.State is SandboxState.Started or SandboxState.Pooled, CheckHealthAsync);

    private async Task CheckHealthAsync(CancellationToken cancellationToken)
    {
        if (state.State.Info is { State: SandboxState.Started or SandboxState.Pooled } info)
        {
            await FollowContainerAsync(info);
        }
    }
}
