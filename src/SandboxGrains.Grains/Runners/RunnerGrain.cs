namespace SandboxGrains.Grains.Runners;

/// <summary>
/// Capacity and health of one Docker host. Allocations are persisted (they must survive a silo restart); the heartbeat
/// is not, because a fresh one arrives within seconds from the silo that owns the engine.
/// </summary>
[RunnerPlacement]
internal sealed class RunnerGrain(
    [PersistentState("runner", StorageNames.Runners)] IPersistentState<RunnerState> state,
    TimeProvider time,
    LocalRunner local,
    RunnerLiveness liveness,
    LocalRunnerHeartbeat localHeartbeat,
    Events.ClusterEvents events,
    IServiceProvider services) : Grain, IRunnerGrain
{
    /// <summary>Without a heartbeat for this long a runner counts as unreachable (three missed beats at the default).</summary>
    internal static readonly TimeSpan HeartbeatTimeout = TimeSpan.FromSeconds(15);

    private RunnerHeartbeat? _lastHeartbeat;
    private DateTimeOffset? _lastHeartbeatAt;
    private bool _registered;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (IsOnOwnSilo && localHeartbeat.Latest is { } latest)
        {
            (_lastHeartbeat, _lastHeartbeatAt) = latest;
        }

        return Task.CompletedTask;
    }

    public async Task HeartbeatAsync(RunnerHeartbeat heartbeat, CancellationToken cancellationToken)
    {
        // Each activation tells the registry once (it may be a new runner); a heartbeat taken over on activation does not count.
        var first = !_registered;
        _registered = true;
        MoveHomeWhenItIsBack();
        RunnerStatus? before = _lastHeartbeat is null ? null : Health().Status;
        _lastHeartbeat = heartbeat;
        _lastHeartbeatAt = time.GetUtcNow();
        if (first)
        {
            await GrainFactory.GetGrain<IRunnerRegistryGrain>(IRunnerRegistryGrain.Key).AddAsync(this.GetPrimaryKeyString(), CancellationToken.None);
        }

        // Heartbeats are how a runner's health is known here: one that comes back, or whose engine fails or recovers, is news.
        var now = Describe();
        if (before != now.Status)
        {
            await events.PublishAsync(new ClusterEvent(ClusterEventTypes.RunnerStatus, now.LastHeartbeat ?? time.GetUtcNow(), null, Reason: now.StatusReason) { Runner = now });
        }
    }

    public Task<RunnerInfo> GetInfoAsync(CancellationToken cancellationToken)
    {
        MoveHomeWhenItIsBack();
        return Task.FromResult(Describe());
    }

    public async Task<bool> TryReserveAsync(string sandboxId, RunnerResources resources, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(sandboxId);
        MoveHomeWhenItIsBack();
        var info = Describe();
        if (info.Status != RunnerStatus.Healthy)
        {
            return false;
        }

        var others = info.Allocated;
        if (state.State.Allocations.TryGetValue(sandboxId, out var earlier))
        {
            others = others.Minus(earlier);
        }

        if (!others.Plus(resources with { Sandboxes = 1 }).FitsWithin(info.Capacity))
        {
            return false;
        }

        state.State.Allocations[sandboxId] = resources with { Sandboxes = 1 };

        // Allocation writes run to the end even for a caller that gave up: cut short, memory and storage would disagree.
        await state.WriteStateAsync(CancellationToken.None);
        return true;
    }

    public async Task ReleaseAsync(string sandboxId, CancellationToken cancellationToken)
    {
        if (state.State.Allocations.Remove(sandboxId))
        {
            await state.WriteStateAsync(CancellationToken.None);
        }
    }

    public async Task RecordAsync(string sandboxId, RunnerResources resources, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(sandboxId);
        state.State.Allocations[sandboxId] = resources with { Sandboxes = 1 };
        await state.WriteStateAsync(CancellationToken.None);
    }

    public Task<SandboxContainer> CreateSandboxContainerAsync(SandboxContainerRequest request, CancellationToken cancellationToken)
    {
        state.State.ImagesLastUsed[request.Spec.Image] = time.GetUtcNow();
        return OnEngineAsync((containers, id, ct) => containers.CreateAsync(id, request, ct), cancellationToken);
    }

    public Task<SandboxContainer> StartSandboxContainerAsync(string containerId, DaemonLaunch daemon, CancellationToken cancellationToken) =>
        OnEngineAsync((containers, _, ct) => containers.StartAsync(containerId, daemon, ct), cancellationToken);

    public Task StopSandboxContainerAsync(string containerId, CancellationToken cancellationToken) =>
        OnEngineAsync(async (containers, _, ct) => { await containers.StopAsync(containerId, ct); return true; }, cancellationToken);

    public Task RemoveSandboxContainerAsync(string containerId, CancellationToken cancellationToken) =>
        OnEngineAsync(async (containers, _, ct) => { await containers.RemoveAsync(containerId, ct); return true; }, cancellationToken);

    public Task<SandboxContainer> EnsureDaemonAsync(string containerId, DaemonLaunch daemon, CancellationToken cancellationToken) =>
        OnEngineAsync((containers, _, ct) => containers.EnsureDaemonAsync(containerId, daemon, ct), cancellationToken);

    public Task<RecoveredContainer> ReadContainerAsync(string container, CancellationToken cancellationToken) =>
        OnEngineAsync((containers, _, ct) => containers.ReadAsync(container, ct), cancellationToken);

    public Task<SandboxContainer> AdoptContainerAsync(
        string containerId, string sandboxId, DaemonLaunch daemon, CancellationToken cancellationToken) =>
        OnEngineAsync(
            (containers, runnerId, ct) => containers.AdoptAsync(
                containerId, new AdoptionMarker(sandboxId, runnerId, daemon.Mode, daemon.WorkDir, time.GetUtcNow()), daemon.Token, ct),
            cancellationToken);

    public Task ReleaseAdoptedContainerAsync(string containerId, DaemonLaunch daemon, CancellationToken cancellationToken) =>
        OnEngineAsync(async (containers, _, ct) => { await containers.ReleaseAsync(containerId, daemon, ct); return true; }, cancellationToken);

    public Task<SandboxContainer> ClaimSandboxContainerAsync(string containerId, SandboxClaim claim, DaemonLaunch daemon, CancellationToken cancellationToken) =>
        OnEngineAsync((containers, _, ct) => containers.ClaimAsync(containerId, claim, daemon, ct), cancellationToken);

    public Task<string> ArchiveSandboxContainerAsync(string containerId, SandboxContainerRequest request, CancellationToken cancellationToken) =>
        OnEngineAsync((containers, runnerId, ct) => containers.ArchiveAsync(runnerId, containerId, request, ct), cancellationToken);

    public Task<RecoveredContainer> ReadArchiveAsync(string archiveImage, CancellationToken cancellationToken) =>
        OnEngineAsync((containers, _, ct) => containers.ReadArchiveAsync(archiveImage, ct), cancellationToken);

    public Task<SandboxContainer> RestoreSandboxContainerAsync(SandboxContainerRequest request, string archiveImage, CancellationToken cancellationToken) =>
        OnEngineAsync((containers, runnerId, ct) => containers.RestoreAsync(runnerId, request, archiveImage, ct), cancellationToken);

    public Task RemoveImageAsync(string image, CancellationToken cancellationToken) =>
        OnEngineAsync(async (containers, _, ct) => { await containers.RemoveImageAsync(image, ct); return true; }, cancellationToken);

    public Task<bool> HasImageAsync(string image, CancellationToken cancellationToken) =>
        OnEngineAsync((containers, _, ct) => containers.HasImageAsync(image, ct), cancellationToken);

    public Task<long> CommitSnapshotAsync(string containerId, string image, string snapshotName, CancellationToken cancellationToken) =>
        OnEngineAsync((containers, _, ct) => containers.CommitSnapshotAsync(containerId, image, snapshotName, ct), cancellationToken);

    public Task PublishImageAsync(string image, string remoteImage, CancellationToken cancellationToken) =>
        OnEngineAsync(async (containers, _, ct) => { await containers.PublishImageAsync(image, remoteImage, ct); return true; }, cancellationToken);

    public Task PushImageAsync(string image, CancellationToken cancellationToken) =>
        OnEngineAsync(async (containers, _, ct) => { await containers.PushImageAsync(image, ct); return true; }, cancellationToken);

    public Task<VolumeInfo> CreateVolumeAsync(string name, CancellationToken cancellationToken) =>
        OnEngineAsync((containers, runnerId, ct) => containers.CreateVolumeAsync(runnerId, name, ct), cancellationToken);

    public Task<IReadOnlyList<VolumeInfo>> ListVolumesAsync(CancellationToken cancellationToken) =>
        OnEngineAsync((containers, runnerId, ct) => containers.ListVolumesAsync(runnerId, ct), cancellationToken);

    public Task RemoveVolumeAsync(string name, CancellationToken cancellationToken) =>
        OnEngineAsync(async (containers, _, ct) => { await containers.RemoveVolumeAsync(name, ct); return true; }, cancellationToken);

    public async Task<IReadOnlyList<RunnerImage>> ListImagesAsync(CancellationToken cancellationToken)
    {
        var images = await OnEngineAsync((containers, _, ct) => containers.ListImagesAsync(ct), cancellationToken);
        return [.. images.Select(i => i with { LastUsedAt = state.State.ImagesLastUsed.TryGetValue(i.Image, out var at) ? at : null })];
    }

    public async Task DeleteImageAsync(string image, CancellationToken cancellationToken)
    {
        await OnEngineAsync(async (containers, _, ct) => { await containers.DeleteImageAsync(image, ct); return true; }, cancellationToken);
        state.State.ImagesLastUsed.Remove(image);
    }

    public Task PullImageAsync(string image, CancellationToken cancellationToken) =>
        OnEngineAsync(async (containers, _, ct) => { await containers.PullImageAsync(image, ct); return true; }, cancellationToken);

    public Task<PullProgress?> GetPullProgressAsync(string image, CancellationToken cancellationToken) =>
        Task.FromResult(IsOnOwnSilo ? services.GetRequiredService<ISandboxContainers>().PullProgressOf(image) : null);

    public Task<IReadOnlyList<ManagedContainer>> ListSandboxContainersAsync(CancellationToken cancellationToken) =>
        OnEngineAsync((containers, id, ct) => containers.ListAsync(id, ct), cancellationToken);

    private bool IsOnOwnSilo => local.RunnerId == this.GetPrimaryKeyString();

    private bool HomeIsUp() => liveness.HasLiveSilo(this.GetPrimaryKeyString());

    /// <summary>
    /// An activation made on another silo while the runner's silo was away answers from whatever heartbeats reach it;
    /// once that silo is back it leaves after the current call, whichever call it is, so the next one is placed at home
    /// and no caller keeps reading a heartbeat-less stand-in.
    /// </summary>
    private void MoveHomeWhenItIsBack()
    {
        if (!IsOnOwnSilo && HomeIsUp())
        {
            this.DeactivateOnIdle();
        }
    }

    /// <summary>
    /// Runs a container operation on this silo's engine, turning the engine's exceptions into <see cref="SandboxException"/>s
    /// that say which runner answered, so they cross the grain boundary intact and read well in an API error. The caller's
    /// token goes through to the engine, so a caller that gives up stops the container work too.
    /// </summary>
    private async Task<T> OnEngineAsync<T>(Func<ISandboxContainers, string, CancellationToken, Task<T>> operation, CancellationToken cancellationToken)
    {
        var runnerId = this.GetPrimaryKeyString();
        if (!IsOnOwnSilo)
        {
            MoveHomeWhenItIsBack();
            throw new SandboxException(SandboxErrorCodes.RunnerUnreachable, $"runner {runnerId} has no silo in the cluster right now");
        }

        try
        {
            return await operation(services.GetRequiredService<ISandboxContainers>(), runnerId, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The caller is gone; cancellation is the answer, not a failure of the engine.
            throw;
        }
        catch (RegistryException e)
        {
            throw new SandboxException(
                e.Failure == RegistryFailure.NotFound ? SandboxErrorCodes.ImageNotFound : SandboxErrorCodes.ImagePullFailed, $"{e.Message} (runner {runnerId})");
        }
        catch (ImageInUseException e)
        {
            throw new SandboxException(SandboxErrorCodes.ImageInUse, $"{e.Message} (runner {runnerId})");
        }
        catch (VolumeInUseException e)
        {
            throw new SandboxException(SandboxErrorCodes.VolumeInUse, $"volume {e.Volume} is in use by {string.Join(", ", e.Containers)}; delete those first");
        }
        catch (VolumeNotFoundException e)
        {
            throw new SandboxException(SandboxErrorCodes.VolumeNotFound, $"volume {e.Volume} is not on runner {runnerId}");
        }
        catch (ImageNotFoundException e)
        {
            throw new SandboxException(SandboxErrorCodes.ImageNotFound, $"image {e.Image} not found on runner {runnerId}");
        }
        catch (ContainerNotFoundException e)
        {
            throw new SandboxException(SandboxErrorCodes.ContainerNotFound, $"container {e.Container} not found on runner {runnerId}");
        }
        catch (DockerUnavailableException e)
        {
            throw new SandboxException(SandboxErrorCodes.DockerUnavailable, $"runner {runnerId}: {e.Message}");
        }
        catch (ContainerRuntimeException e)
        {
            throw new SandboxException(SandboxErrorCodes.Failed, $"runner {runnerId}: {e.Message}");
        }
        catch (Exception e) when (e is not SandboxException)
        {
            // Anything else the engine's client throws (Docker.DotNet's own exceptions) has no Orleans codec: sent as it
            // is to a grain on another silo it would fail the response itself, and the caller would see a bare 500.
            throw new SandboxException(SandboxErrorCodes.Failed, $"runner {runnerId}: {e.Message}");
        }
    }

    private RunnerInfo Describe()
    {
        var allocated = state.State.Allocations.Values.Aggregate(RunnerResources.None, (sum, r) => sum.Plus(r));
        var (status, reason) = Health();
        return new RunnerInfo(
            Id: this.GetPrimaryKeyString(),
            Endpoint: _lastHeartbeat?.Endpoint,
            Silo: _lastHeartbeat?.Silo,
            Status: status,
            StatusReason: reason,
            Capacity: _lastHeartbeat?.Capacity ?? RunnerResources.None,
            Allocated: allocated,
            SandboxCount: state.State.Allocations.Count,
            LastHeartbeat: _lastHeartbeatAt,
            DockerVersion: _lastHeartbeat?.DockerVersion);
    }

    private (RunnerStatus Status, string? Reason) Health()
    {
        if (_lastHeartbeat is null || _lastHeartbeatAt is null)
        {
            return (RunnerStatus.Unreachable, "no heartbeat received from the silo that owns this runner");
        }

        var silence = time.GetUtcNow() - _lastHeartbeatAt.Value;
        if (silence > HeartbeatTimeout)
        {
            return (RunnerStatus.Unreachable, $"no heartbeat from silo {_lastHeartbeat.Silo} for {silence.TotalSeconds:0} s");
        }

        return _lastHeartbeat.DockerError is { } error ? (RunnerStatus.Unhealthy, error) : (RunnerStatus.Healthy, null);
    }
}
