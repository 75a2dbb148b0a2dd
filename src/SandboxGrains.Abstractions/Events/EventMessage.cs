using SandboxGrains.Sandboxes;

namespace SandboxGrains.Events;

/// <summary>
/// An event on the wire (the <c>data</c> of a Server-Sent Event, or a WebSocket message): its id on the silo that sent
/// it, type, time, the sandbox as the API shows it, and for a change of state the old and new state and why.
/// </summary>
public sealed record EventMessage(string Id, string Type, DateTimeOffset Time, string? SandboxId, Sandbox? Sandbox, string? From, string? To, string? Reason)
{
    public static EventMessage Of(string id, ClusterEvent e) => new(
        id, e.Type, e.Time, e.SandboxId, e.Sandbox is { } info ? Sandbox.From(info) : null,
        e.From?.ToString().ToLowerInvariant(), e.To?.ToString().ToLowerInvariant(), e.Reason);

    /// <summary>A message with no event behind it (a reset, a keep-alive).</summary>
    public static EventMessage Signal(string id, string type, DateTimeOffset time) => new(id, type, time, null, null, null, null, null);
}
