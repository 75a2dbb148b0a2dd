namespace SandboxGrains.Snapshots;

/// <summary>Where a snapshot is in its making.</summary>
public enum SnapshotState
{
    /// <summary>The sandbox's filesystem is being committed to an image on its runner.</summary>
    Building,

    /// <summary>The image is being pushed to the snapshot registry.</summary>
    Pushing,

    /// <summary>Ready: creates may start from it.</summary>
    Active,

    /// <summary>Making it failed; <see cref="SnapshotInfo.ErrorReason"/> says why, and no image of it is left.</summary>
    Error,
}

/// <summary>
/// A snapshot: a sandbox's filesystem and configuration kept as an image. With a registry it is pushed there and any
/// runner can start it (pulling it on demand); without one it lives on <see cref="RunnerId"/> and creates go there.
/// </summary>
[GenerateSerializer, Immutable, Alias("sandboxgrains.SnapshotInfo")]
public sealed record SnapshotInfo
{
    [Id(0)] public required string Name { get; init; }
    [Id(1)] public required SnapshotState State { get; init; }

    /// <summary>The image reference sandboxes start from (in the registry when <see cref="Registry"/> is set).</summary>
    [Id(2)] public required string Image { get; init; }

    /// <summary>The runner it was built on, which holds its image.</summary>
    [Id(3)] public required string RunnerId { get; init; }

    /// <summary>The registry it is pushed to; null when it lives on <see cref="RunnerId"/> alone.</summary>
    [Id(4)] public string? Registry { get; init; }

    /// <summary>The sandbox it was taken from.</summary>
    [Id(5)] public required string SourceSandboxId { get; init; }

    [Id(6)] public DateTimeOffset CreatedAt { get; init; }
    [Id(7)] public DateTimeOffset UpdatedAt { get; init; }
    [Id(8)] public string? ErrorReason { get; init; }

    /// <summary>The image's size on its runner, in bytes, once built.</summary>
    [Id(9)] public long? SizeBytes { get; init; }
}
