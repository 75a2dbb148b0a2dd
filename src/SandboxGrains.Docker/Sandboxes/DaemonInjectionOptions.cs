namespace SandboxGrains.Docker.Sandboxes;

/// <summary>How sandbox containers are made and how the daemon gets into them (section <c>Daemon</c>).</summary>
public sealed class DaemonInjectionOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Daemon";

    /// <summary>Where the bundle is mounted or copied inside every sandbox.</summary>
    public const string BundleMountPath = "/opt/sandboxgrains";

    /// <summary>Where the per-sandbox secret is written inside every sandbox (read by the daemon with <c>--token-file</c>).</summary>
    public const string TokenPath = "/run/sandboxgrains/daemon-token";

    /// <summary>
    /// Host folder holding the daemon bundle (<c>sandboxd</c> + <c>lib/</c>). Empty: found by walking up from the silo's
    /// folder to the repository's <c>artifacts/sandboxd</c>, which is where <c>dotnet publish</c> puts it.
    /// </summary>
    public string? BundlePath { get; set; }

    /// <summary>The daemon inside images used with injection <c>none</c>.</summary>
    public string ImageDaemonPath { get; set; } = BundleMountPath + "/sandboxd";

    /// <summary>The port the daemon listens on inside the container.</summary>
    public int Port { get; set; } = DaemonProtocol.DefaultPort;

    /// <summary>How long a daemon may take to answer <c>/version</c> after its container starts.</summary>
    public TimeSpan StartTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a stopping container gets after SIGTERM before it is killed.</summary>
    public TimeSpan StopGracePeriod { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The bridge network sandboxes join (inter-container traffic disabled).</summary>
    public string Network { get; set; } = "sandboxgrains";
}
