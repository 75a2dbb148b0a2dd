using SandboxGrains.Previews;
using SandboxGrains.Runners;
using SandboxGrains.Sandboxes;
using SandboxGrains.Snapshots;
using SandboxGrains.WarmPools;

namespace SandboxGrains.Events;

/// <summary>
/// An event on the wire (the <c>data</c> of a Server-Sent Event, or a WebSocket message): its id on the silo that sent
/// it, type, time, the sandbox as the API shows it, for a change of state the old and new state and why, and the preview
/// link (never its token), runner, snapshot or warm pool it is about.
/// </summary>
public sealed record EventMessage(string? Id, string Type, DateTimeOffset Time, string? SandboxId, Sandbox? Sandbox, string? From, string? To, string? Reason)
{
    public Preview? Preview { get; init; }

    public RunnerDto? Runner { get; init; }

    public Snapshot? Snapshot { get; init; }

    public WarmPool? Pool { get; init; }

    public static EventMessage Of(string id, ClusterEvent e) => new(
        id, e.Type, e.Time, e.SandboxId, e.Sandbox is { } info ? Sandbox.From(info) : null,
        e.From?.ToString().ToLowerInvariant(), e.To?.ToString().ToLowerInvariant(), e.Reason)
    {
        Preview = e.Preview is { } preview ? Preview.From(preview) : null,
        Runner = e.Runner is { } runner ? RunnerDto.From(runner) : null,
        Snapshot = e.Snapshot is { } snapshot ? Snapshot.From(snapshot) : null,
        Pool = e.Pool is { } pool ? WarmPool.From(pool) : null,
    };

    /// <summary>A message with no event behind it: a reset (with the id to carry on from) or a keep-alive (no id).</summary>
    public static EventMessage Signal(string? id, string type, DateTimeOffset time) => new(id, type, time, null, null, null, null, null);
}
