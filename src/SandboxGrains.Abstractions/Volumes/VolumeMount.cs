namespace SandboxGrains.Volumes;

/// <summary>A named volume mounted into a sandbox at <see cref="MountPath"/>, read-only when asked.</summary>
[GenerateSerializer, Immutable, Alias("sandboxgrains.VolumeMount")]
public sealed record VolumeMount(
    [property: Id(0)] string Name,
    [property: Id(1)] string MountPath,
    [property: Id(2)] bool ReadOnly = false);
