using SandboxGrains.Sandboxes;

namespace SandboxGrains.Events;

/// <summary>
/// Something that happened in the cluster, as the event stream tells it: its type (<see cref="ClusterEventTypes"/>), when,
/// the sandbox it is about and that sandbox as it is now (null once deleted), and for a change of state the old and new
/// state and why. Raised by the grain that owns the resource, on whichever silo it lives, and delivered to every silo.
/// </summary>
[GenerateSerializer, Immutable, Alias("sandboxgrains.ClusterEvent")]
public sealed record ClusterEvent(
    [property: Id(0)] string Type,
    [property: Id(1)] DateTimeOffset Time,
    [property: Id(2)] string? SandboxId,
    [property: Id(3)] SandboxInfo? Sandbox = null,
    [property: Id(4)] SandboxState? From = null,
    [property: Id(5)] SandboxState? To = null,
    [property: Id(6)] string? Reason = null);

/// <summary>The event types the stream carries; a subscriber may filter by a type or a prefix (<c>sandbox.</c>).</summary>
public static class ClusterEventTypes
{
    public const string SandboxCreated = "sandbox.created";
    public const string SandboxStateUpdated = "sandbox.state.updated";
    public const string SandboxDeleted = "sandbox.deleted";

    /// <summary>Sent on a Server-Sent Events stream after a quiet while, so proxies keep the connection; carries nothing.</summary>
    public const string KeepAlive = "keepalive";

    /// <summary>Sent to a subscriber instead of what it missed when that is no longer in this silo's buffer: re-list and carry on.</summary>
    public const string Reset = "reset";
}
