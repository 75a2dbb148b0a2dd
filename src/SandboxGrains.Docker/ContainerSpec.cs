namespace SandboxGrains.Docker;

/// <summary>Everything needed to create a container; our own shape, so no Docker.DotNet type leaves this project.</summary>
public sealed record ContainerSpec
{
    /// <summary>Image reference, e.g. <c>sandboxgrains/busybox:latest</c>.</summary>
    public required string Image { get; init; }

    /// <summary>Container name; null lets Docker choose.</summary>
    public string? Name { get; init; }

    /// <summary>Entrypoint override; null keeps the image's.</summary>
    public IReadOnlyList<string>? Entrypoint { get; init; }

    /// <summary>Command override; null keeps the image's.</summary>
    public IReadOnlyList<string>? Cmd { get; init; }

    /// <summary>Environment variables added to the image's.</summary>
    public IReadOnlyDictionary<string, string> Env { get; init; } = new Dictionary<string, string>();

    /// <summary>Labels on the container.</summary>
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();

    /// <summary>Working directory; null keeps the image's.</summary>
    public string? WorkingDir { get; init; }

    /// <summary>User to run as; null keeps the image's.</summary>
    public string? User { get; init; }

    /// <summary>CPU limit in cores (fractions allowed).</summary>
    public double CpuCores { get; init; } = 1;

    /// <summary>Memory limit in MiB.</summary>
    public long MemoryMb { get; init; } = 1024;

    /// <summary>Maximum number of processes.</summary>
    public long PidsLimit { get; init; } = 4096;

    /// <summary>Host paths bind-mounted read-only: host path → container path.</summary>
    public IReadOnlyDictionary<string, string> ReadOnlyMounts { get; init; } = new Dictionary<string, string>();

    /// <summary>Named Docker volumes mounted into the container (<see cref="Volumes.VolumeMount.Name"/> is the Docker volume's name).</summary>
    public IReadOnlyList<Volumes.VolumeMount> NamedVolumes { get; init; } = [];

    /// <summary>
    /// Keeps the main process's stdin open for the one attach of <see cref="IContainerRuntime.StartContainerAsync(string, ReadOnlyMemory{byte}, CancellationToken)"/>
    /// (closed after it): how a secret reaches PID 1 without the environment or a file upload.
    /// </summary>
    public bool OpenStdin { get; init; }

    /// <summary>Network to attach to; null means Docker's default bridge.</summary>
    public string? Network { get; init; }
}
