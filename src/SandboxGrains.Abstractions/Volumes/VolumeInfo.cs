namespace SandboxGrains.Volumes;

/// <summary>A named volume: the Docker volume that holds it and the one runner whose engine has it.</summary>
[GenerateSerializer, Immutable, Alias("sandboxgrains.VolumeInfo")]
public sealed record VolumeInfo(
    [property: Id(0)] string Name,
    [property: Id(1)] string RunnerId,
    [property: Id(2)] string DockerVolume,
    [property: Id(3)] DateTimeOffset? CreatedAt);
