namespace SandboxGrains.Images;

/// <summary>
/// One image tag on a runner: its size, when the engine made it and when a sandbox was last created from it here
/// (since the runner's silo started, when known), the sandboxes whose containers use it, and what of ours it belongs to
/// (an archive, a snapshot: it goes when that is deleted).
/// </summary>
[GenerateSerializer, Immutable, Alias("sandboxgrains.RunnerImage")]
public sealed record RunnerImage(
    [property: Id(0)] string Image,
    [property: Id(1)] string Id,
    [property: Id(2)] long SizeBytes,
    [property: Id(3)] DateTimeOffset CreatedAt,
    [property: Id(4)] DateTimeOffset? LastUsedAt,
    [property: Id(5)] IReadOnlyList<string> UsedBy,
    [property: Id(6)] string? Owner);
