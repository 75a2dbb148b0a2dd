namespace SandboxGrains.Docker;

/// <summary>How to reach the Docker engine (section <c>Docker</c>).</summary>
public sealed class DockerOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Docker";

    /// <summary>The default local socket.</summary>
    public const string DefaultEndpoint = "unix:///var/run/docker.sock";

    /// <summary>Engine endpoint; empty means <c>DOCKER_HOST</c>, then the local socket.</summary>
    public string? Endpoint { get; set; }

    /// <summary>How long one engine call may take before we give up on it.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>The endpoint actually used: the configured one, else <c>DOCKER_HOST</c>, else the local socket.</summary>
    public string ResolveEndpoint() =>
        !string.IsNullOrWhiteSpace(Endpoint) ? Endpoint
        : Environment.GetEnvironmentVariable("DOCKER_HOST") is { Length: > 0 } fromEnvironment ? fromEnvironment
        : DefaultEndpoint;
}
