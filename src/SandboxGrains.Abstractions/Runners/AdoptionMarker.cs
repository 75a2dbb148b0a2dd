using SandboxGrains.Sandboxes;

namespace SandboxGrains.Runners;

/// <summary>
/// What an adopted container carries about its sandbox. Docker cannot add labels to an existing container, so this is
/// written as a file inside it (beside the daemon secret) and is how a restarted silo finds its adopted sandboxes again.
/// </summary>
/// <param name="SandboxId">The sandbox the container belongs to.</param>
/// <param name="RunnerId">The runner that adopted it; only that runner reconciles it.</param>
/// <param name="Injection">How the daemon was put in (<c>copy</c> or <c>none</c>).</param>
/// <param name="WorkDir">The daemon's work directory.</param>
/// <param name="AdoptedAt">When the container became a sandbox.</param>
[GenerateSerializer, Immutable, Alias("sandboxgrains.AdoptionMarker")]
public sealed record AdoptionMarker(
    [property: Id(0)] string SandboxId,
    [property: Id(1)] string RunnerId,
    [property: Id(2)] InjectionMode Injection,
    [property: Id(3)] string WorkDir,
    [property: Id(4)] DateTimeOffset AdoptedAt);
