namespace SandboxGrains.Sandboxes;

/// <summary>Where a started sandbox's daemon listens and the secret it wants; only silos ever see this.</summary>
/// <param name="State">The sandbox's state; the address is only usable when it is <see cref="SandboxState.Started"/>.</param>
/// <param name="Address">host:port of the daemon, reachable from the runner's host.</param>
/// <param name="Token">The per-sandbox daemon secret (<c>X-Sandbox-Daemon-Token</c>).</param>
/// <param name="RunnerId">The runner the sandbox lives on.</param>
[GenerateSerializer, Immutable, Alias("sandboxgrains.DaemonEndpoint")]
public sealed record DaemonEndpoint(
    [property: Id(0)] SandboxState State,
    [property: Id(1)] string? Address,
    [property: Id(2)] string? Token,
    [property: Id(3)] string? RunnerId);
