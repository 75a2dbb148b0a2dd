namespace SandboxGrains.Runners;

/// <summary>What the silo that owns a runner's Docker engine reports, every few seconds.</summary>
/// <param name="Endpoint">The Docker endpoint, e.g. <c>unix:///var/run/docker.sock</c>.</param>
/// <param name="Silo">The owning silo's address.</param>
/// <param name="Capacity">What the runner offers after overcommit and the sandbox limit are applied.</param>
/// <param name="DockerError">Null when Docker answered; otherwise why it did not, in words.</param>
/// <param name="DockerVersion">The engine's version, when known.</param>
[GenerateSerializer, Immutable, Alias("sandboxgrains.RunnerHeartbeat")]
public sealed record RunnerHeartbeat(
    [property: Id(0)] string Endpoint,
    [property: Id(1)] string Silo,
    [property: Id(2)] RunnerResources Capacity,
    [property: Id(3)] string? DockerError,
    [property: Id(4)] string? DockerVersion);
