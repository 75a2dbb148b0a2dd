using SandboxGrains.Sandboxes;

namespace SandboxGrains.Runners;

/// <summary>What a runner reads from an existing container: a managed one whose grain lost its state, or one being adopted.</summary>
/// <param name="Container">Where the container stands now.</param>
/// <param name="Image">The image it was created from.</param>
/// <param name="Labels">All of its Docker labels.</param>
/// <param name="Env">Its environment as configured (<c>KEY=value</c>).</param>
/// <param name="User">The user it runs as, when set.</param>
/// <param name="DaemonToken">The daemon secret found in the container; null when it could not be read.</param>
/// <param name="Name">The container's name.</param>
/// <param name="WorkingDir">The container's configured working directory, when set.</param>
/// <param name="Adoption">The adoption marker found in the container, when it was adopted.</param>
/// <param name="Claim">What a caller gave a warm pool's sandbox when claiming it, when it was made for a pool and claimed.</param>
[GenerateSerializer, Immutable, Alias("sandboxgrains.RecoveredContainer")]
public sealed record RecoveredContainer(
    [property: Id(0)] SandboxContainer Container,
    [property: Id(1)] string Image,
    [property: Id(2)] IReadOnlyDictionary<string, string> Labels,
    [property: Id(3)] IReadOnlyList<string> Env,
    [property: Id(4)] string? User,
    [property: Id(5)] string? DaemonToken,
    [property: Id(6)] string Name,
    [property: Id(7)] string? WorkingDir,
    [property: Id(8)] AdoptionMarker? Adoption,
    [property: Id(9)] SandboxClaim? Claim = null);
