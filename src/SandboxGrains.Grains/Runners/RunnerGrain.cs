namespace SandboxGrains.Grains.Runners;

/// <summary>
/// Capacity and health of one Docker host. Allocations are persisted (they must survive a silo restart); the heartbeat
/// is not, because a fresh one arrives within seconds from the silo that owns the engine.
/// </summary>
internal sealed class RunnerGrain(
    [PersistentState("runner", StorageNames.Runners)] IPersistentState<RunnerState> state,
    TimeProvider time) : Grain, IRunnerGrain
{
    /// <summary>Without a heartbeat for this long a runner counts as unreachable (three missed beats at the default).</summary>
    internal static readonly TimeSpan HeartbeatTimeout = TimeSpan.FromSeconds(15);

    private RunnerHeartbeat? _lastHeartbeat;
    private DateTimeOffset? _lastHeartbeatAt;

    public Task HeartbeatAsync(RunnerHeartbeat heartbeat)
    {
        var first = _lastHeartbeat is null;
        _lastHeartbeat = heartbeat;
        _lastHeartbeatAt = time.GetUtcNow();
        return first
            ? GrainFactory.GetGrain<IRunnerRegistryGrain>(IRunnerRegistryGrain.Key).AddAsync(this.GetPrimaryKeyString())
            : Task.CompletedTask;
    }

    public Task<RunnerInfo> GetInfoAsync() => Task.FromResult(Describe());

    public async Task<bool> TryReserveAsync(string sandboxId, RunnerResources resources)
    {
        ArgumentException.ThrowIfNullOrEmpty(sandboxId);
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
        await state.WriteStateAsync();
        return true;
    }

    public async Task ReleaseAsync(string sandboxId)
    {
        if (state.State.Allocations.Remove(sandboxId))
        {
            await state.WriteStateAsync();
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
