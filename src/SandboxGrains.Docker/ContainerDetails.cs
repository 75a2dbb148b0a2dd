namespace SandboxGrains.Docker;

/// <summary>What inspecting a container tells us.</summary>
/// <param name="Id">Full container id.</param>
/// <param name="Name">Name without the leading slash.</param>
/// <param name="Image">The image reference it was created from.</param>
/// <param name="Running">True while the container's main process runs.</param>
/// <param name="Status">Docker's status word: created, running, paused, restarting, removing, exited, dead.</param>
/// <param name="ExitCode">Exit code of the main process once it stopped.</param>
/// <param name="OomKilled">True when the kernel killed it for running out of memory.</param>
/// <param name="Error">Docker's own error text, if any.</param>
/// <param name="IpAddress">The container's address on its first network, when it has one.</param>
/// <param name="Labels">Its labels.</param>
/// <param name="Entrypoint">Its entrypoint as configured.</param>
/// <param name="Cmd">Its command as configured.</param>
/// <param name="Env">Its environment as configured (<c>KEY=value</c>).</param>
/// <param name="User">The user it runs as, when set.</param>
/// <param name="WorkingDir">Its working directory, when set.</param>
/// <param name="Volumes">Where Docker volumes are mounted in it (an image's <c>VOLUME</c>s included): what a commit leaves out.</param>
public sealed record ContainerDetails(
    string Id,
    string Name,
    string Image,
    bool Running,
    string Status,
    long ExitCode,
    bool OomKilled,
    string? Error,
    string? IpAddress,
    IReadOnlyDictionary<string, string> Labels,
    IReadOnlyList<string> Entrypoint,
    IReadOnlyList<string> Cmd,
    IReadOnlyList<string> Env,
    string? User,
    string? WorkingDir,
    IReadOnlyList<string>? Volumes = null);
