using SandboxGrains.Sandboxes;

namespace SandboxGrains.Runners;

/// <summary>How to (re)start a sandbox's daemon: the injection mode, its work directory and its secret.</summary>
[GenerateSerializer, Immutable, Alias("sandboxgrains.DaemonLaunch")]
public sealed record DaemonLaunch(
    [property: Id(0)] InjectionMode Mode,
    [property: Id(1)] string WorkDir,
    [property: Id(2)] string Token);
