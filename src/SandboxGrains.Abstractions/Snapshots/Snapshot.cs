namespace SandboxGrains.Snapshots;

/// <summary>A snapshot on the wire.</summary>
public sealed record Snapshot(
    string Name,
    string State,
    string Image,
    string RunnerId,
    string? Registry,
    string SourceSandboxId,
    long? SizeBytes,
    string? ErrorReason,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt)
{
    public static Snapshot From(SnapshotInfo info) => new(
        info.Name, info.State.ToString().ToLowerInvariant(), info.Image, info.RunnerId, info.Registry, info.SourceSandboxId,
        info.SizeBytes, info.ErrorReason, info.CreatedAt, info.UpdatedAt);
}
