namespace SandboxGrains.Runners;

/// <summary>A container carrying the <c>sandboxgrains.managed</c> label: which sandbox it belongs to.</summary>
[GenerateSerializer, Immutable, Alias("sandboxgrains.ManagedContainer")]
public sealed record ManagedContainer(
    [property: Id(0)] string SandboxId,
    [property: Id(1)] string ContainerId,
    [property: Id(2)] string State);
