namespace SandboxGrains.Grains.Sandboxes;

/// <summary>
/// The sandbox's part in snapshots: its container committed on its runner for one (in turn with its own operations, so
/// a stop, archive or delete cannot pull the container away mid-commit; the snapshot grain does the rest), and a create
/// from one, which holds the snapshot until the create is over so it cannot be deleted from under it.
/// </summary>
internal sealed partial class SandboxGrain
{
    /// <summary>
    /// For a create from a snapshot: the spec with the snapshot's image, and the runner it must go to when the snapshot
    /// lives on one runner only (no registry). The snapshot is held from here until <see cref="ReleaseSnapshotAsync"/>.
    /// </summary>
    private async Task<(SandboxSpec Spec, string? Runner)> FromSnapshotAsync(SandboxSpec spec)
    {
        if (spec.Snapshot is not { } name)
        {
            return (spec, null);
        }

        var snapshot = await grains.GetGrain<ISnapshotGrain>(name).AcquireAsync(Id);
        _snapshotHeld = true;
        return (spec with { Image = snapshot.Image }, snapshot.Registry is null ? snapshot.RunnerId : null);
    }

    private async Task<bool> SnapshotExistsAsync(string name)
    {
        try
        {
            await grains.GetGrain<ISnapshotGrain>(name).GetAsync();
            return true;
        }
        catch (SandboxException e) when (e.Code == SandboxErrorCodes.SnapshotNotFound)
        {
            return false;
        }
    }

    /// <summary>Lets the snapshot go, once: a second release from a later turn would wait on a snapshot that may be calling this grain.</summary>
    private async Task ReleaseSnapshotAsync(SandboxSpec spec)
    {
        if (_snapshotHeld && spec.Snapshot is { } name)
        {
            _snapshotHeld = false;
            await grains.GetGrain<ISnapshotGrain>(name).ReleaseAsync(Id);
        }
    }

    // Whether this activation holds the snapshot its create is being made from.
    private bool _snapshotHeld;

    /// <summary>The one runner a create must go to: where its volumes are, or where its registry-less snapshot is (they must agree).</summary>
    private async Task<string?> RequiredRunnerAsync(SandboxSpec spec, string? snapshotRunner)
    {
        var volumesRunner = await RunnerSelector.RunnerOfVolumesAsync(grains, spec.Volumes);
        if (volumesRunner is not null && snapshotRunner is not null && volumesRunner != snapshotRunner)
        {
            throw new SandboxException(SandboxErrorCodes.InvalidRequest,
                $"volumes: they are on runner {volumesRunner}, and snapshot {spec.Snapshot} only on runner {snapshotRunner} (no snapshot registry is configured)");
        }

        return volumesRunner ?? snapshotRunner;
    }

    public async Task<SnapshotSource> CommitSnapshotAsync(string image, string snapshotName, CancellationToken cancellationToken)
    {
        var info = Info;
        if (info.Adopted)
        {
            throw new SandboxException(SandboxErrorCodes.InvalidState, $"sandbox {Id} is an adopted container, its owner's: it cannot be snapshotted");
        }

        if (info is not { State: SandboxState.Started or SandboxState.Stopped, ContainerId: { } containerId, RunnerId: { } runnerId })
        {
            throw new SandboxException(SandboxErrorCodes.InvalidState,
                $"sandbox {Id} can be snapshotted when started or stopped (it is {Name(info.State)})");
        }

        // Runs to the end once begun: cut short, the commit could finish with nobody removing its image.
        var size = await Runner(runnerId).CommitSnapshotAsync(containerId, image, snapshotName, CancellationToken.None);
        return new SnapshotSource(runnerId, size);
    }
}
