namespace SandboxGrains.Runners;

/// <summary>A sandbox container as its runner sees it.</summary>
/// <param name="ContainerId">Docker's full id.</param>
/// <param name="Exists">False once the container is gone.</param>
/// <param name="Running">True while its main process runs.</param>
/// <param name="ExitReason">Why it is not running, in words ("exited with code 137", "killed: out of memory"); null while running.</param>
/// <param name="DaemonAddress">host:port of the daemon, when the container runs.</param>
/// <param name="DaemonVersion">What the daemon answered on <c>/version</c>; null when it did not answer.</param>
[GenerateSerializer, Immutable, Alias("sandboxgrains.SandboxContainer")]
public sealed record SandboxContainer(
    [property: Id(0)] string ContainerId,
    [property: Id(1)] bool Exists,
    [property: Id(2)] bool Running,
    [property: Id(3)] string? ExitReason,
    [property: Id(4)] string? DaemonAddress,
    [property: Id(5)] string? DaemonVersion)
{
    /// <summary>True when the container runs and its daemon answered.</summary>
    public bool IsServing => Running && DaemonVersion is not null;
}
