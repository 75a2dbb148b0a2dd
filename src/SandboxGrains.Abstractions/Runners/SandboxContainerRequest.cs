using SandboxGrains.Sandboxes;

namespace SandboxGrains.Runners;

/// <summary>What a runner needs to make a sandbox's container and put the daemon in it.</summary>
[GenerateSerializer, Immutable, Alias("sandboxgrains.SandboxContainerRequest")]
public sealed record SandboxContainerRequest(
    [property: Id(0)] string SandboxId,
    [property: Id(1)] string Name,
    [property: Id(2)] SandboxSpec Spec,
    [property: Id(3)] string DaemonToken,
    [property: Id(4)] DateTimeOffset CreatedAt);
