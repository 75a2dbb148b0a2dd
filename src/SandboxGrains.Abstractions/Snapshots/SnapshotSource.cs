namespace SandboxGrains.Snapshots;

/// <summary>Where a snapshot's image was committed and how large it is.</summary>
[GenerateSerializer, Immutable, Alias("sandboxgrains.SnapshotSource")]
public sealed record SnapshotSource([property: Id(0)] string RunnerId, [property: Id(1)] long SizeBytes);
