namespace SandboxGrains.Runners;

/// <summary>A container of a sandbox on this runner (labelled at create, or carrying an adoption marker): which sandbox it belongs to.</summary>
[GenerateSerializer, Immutable, Alias("sandboxgrains.ManagedContainer")]
public sealed record ManagedContainer(
    [property: Id(0)] string SandboxId,
    [property: Id(1)] string ContainerId,
    [property: Id(2)] string State);
