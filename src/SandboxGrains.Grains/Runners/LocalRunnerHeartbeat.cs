namespace SandboxGrains.Grains.Runners;

/// <summary>
/// The last heartbeat this silo's runner produced, kept in the silo. The runner grain holds heartbeats in memory only,
/// so an activation made again after a cluster change (its directory entry lived on a silo that died) would read as
/// unreachable, and refuse every placement, until the next beat; activated on its own silo it starts from this one.
/// </summary>
public sealed class LocalRunnerHeartbeat
{
    private volatile Beat? _latest;

    /// <summary>The latest heartbeat and when it was taken, or null before the first.</summary>
    public (RunnerHeartbeat Heartbeat, DateTimeOffset At)? Latest => _latest is { } beat ? (beat.Heartbeat, beat.At) : null;

    public void Record(RunnerHeartbeat heartbeat, DateTimeOffset at) => _latest = new Beat(heartbeat, at);

    private sealed record Beat(RunnerHeartbeat Heartbeat, DateTimeOffset At);
}
