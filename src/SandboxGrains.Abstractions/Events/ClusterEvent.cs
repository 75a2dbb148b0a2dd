using SandboxGrains.Previews;
using SandboxGrains.Runners;
using SandboxGrains.Sandboxes;
using SandboxGrains.Snapshots;
using SandboxGrains.WarmPools;

namespace SandboxGrains.Events;

/// <summary>
/// Something that happened in the cluster, as the event stream tells it: its type (<see cref="ClusterEventTypes"/>), when,
/// the sandbox it is about and that sandbox as it is now (null once deleted), for a change of state the old and new state
/// and why, and the other resource it is about when it is one (a preview link, a runner, a snapshot, a warm pool). Raised
/// by the grain that owns the resource, on whichever silo it lives, and delivered to every silo.
/// </summary>
[GenerateSerializer, Immutable, Alias("sandboxgrains.ClusterEvent")]
public sealed record ClusterEvent(
    [property: Id(0)] string Type,
    [property: Id(1)] DateTimeOffset Time,
    [property: Id(2)] string? SandboxId,
    [property: Id(3)] SandboxInfo? Sandbox = null,
    [property: Id(4)] SandboxState? From = null,
    [property: Id(5)] SandboxState? To = null,
    [property: Id(6)] string? Reason = null)
{
    /// <summary>A preview link made or revoked (its record: no token, only the token's hash, which the wire never shows).</summary>
    [Id(7)] public PreviewRecord? Preview { get; init; }

    /// <summary>A runner whose status changed.</summary>
    [Id(8)] public RunnerInfo? Runner { get; init; }

    /// <summary>A snapshot whose state changed, or that was deleted.</summary>
    [Id(9)] public SnapshotInfo? Snapshot { get; init; }

    /// <summary>A warm pool made, resized, filled or emptied a little, or deleted.</summary>
    [Id(10)] public WarmPoolInfo? Pool { get; init; }
}

/// <summary>The event types the stream carries; a subscriber may filter by a type or a prefix (<c>sandbox.</c>).</summary>
public static class ClusterEventTypes
{
    public const string SandboxCreated = "sandbox.created";
    public const string SandboxStateUpdated = "sandbox.state.updated";
    public const string SandboxDeleted = "sandbox.deleted";

    /// <summary>A pull for a sandbox moved on (at most once a second while it runs); the sandbox's <c>pull</c> says how far.</summary>
    public const string SandboxPullProgress = "sandbox.pull.progress";

    public const string PreviewCreated = "preview.created";
    public const string PreviewRevoked = "preview.revoked";

    /// <summary>
    /// A runner's heartbeat says something new: its first (a runner seen, or back after its silo was away), its engine
    /// failing, or recovering. A runner whose silo is gone sends no heartbeat to say so: it reads as <c>unreachable</c> on
    /// the runners list and on its sandboxes, without an event.
    /// </summary>
    public const string RunnerStatus = "runner.status";

    /// <summary>A snapshot changed state (building, pushing, active, error).</summary>
    public const string SnapshotStateUpdated = "snapshot.state.updated";
    public const string SnapshotDeleted = "snapshot.deleted";

    /// <summary>A warm pool was made or resized, or how many of its sandboxes are ready changed.</summary>
    public const string WarmPoolUpdated = "warmpool.updated";
    public const string WarmPoolDeleted = "warmpool.deleted";

    /// <summary>Sent on a Server-Sent Events stream after a quiet while, so proxies keep the connection; carries nothing.</summary>
    public const string KeepAlive = "keepalive";

    /// <summary>Sent to a subscriber instead of what it missed when that is no longer in this silo's buffer: re-list and carry on.</summary>
    public const string Reset = "reset";
}
