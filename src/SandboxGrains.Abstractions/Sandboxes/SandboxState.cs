namespace SandboxGrains.Sandboxes;

/// <summary>Where a sandbox is in its life (Daytona's names, so its SDK reads them unchanged).</summary>
public enum SandboxState
{
    /// <summary>Accepted; the container is being made and the daemon injected.</summary>
    Creating,

    /// <summary>The container is being started and the daemon awaited.</summary>
    Starting,

    /// <summary>Running, with its daemon answering.</summary>
    Started,

    /// <summary>The container is being stopped.</summary>
    Stopping,

    /// <summary>The container exists but does not run.</summary>
    Stopped,

    /// <summary>The container is being removed.</summary>
    Destroying,

    /// <summary>Gone; the grain keeps no state.</summary>
    Destroyed,

    /// <summary>Something failed; <see cref="SandboxInfo.ErrorReason"/> says what.</summary>
    Error,

    /// <summary>Started and waiting in a warm pool to be claimed by a create; not listed unless asked for.</summary>
    Pooled,

    /// <summary>Its container's filesystem is being committed to an archive image, and the container removed.</summary>
    Archiving,

    /// <summary>Kept as an image on its runner, holding no CPU or memory; <c>start</c> restores it.</summary>
    Archived,

    /// <summary>Being made again from its archive image.</summary>
    Restoring,

    /// <summary>Its image is being pulled onto its runner; <see cref="SandboxInfo.Pull"/> shows how far. Creating follows.</summary>
    Pulling,
}

/// <summary>Facts about sandbox states that several places decide by.</summary>
public static class SandboxStates
{
    /// <summary>
    /// True while one of the sandbox's own operations is under way (creating, pulling, starting, stopping, deleting,
    /// archiving, restoring): that operation records its outcome, so events and health checks leave the sandbox alone.
    /// </summary>
    public static bool IsOnTheWay(this SandboxState state) =>
        state is SandboxState.Creating or SandboxState.Pulling or SandboxState.Starting or SandboxState.Stopping
            or SandboxState.Destroying or SandboxState.Archiving or SandboxState.Restoring;

    /// <summary>True while the sandbox is on its way to serving (made, pulled, started or restored): callers retry shortly.</summary>
    public static bool IsComingUp(this SandboxState state) =>
        state is SandboxState.Creating or SandboxState.Pulling or SandboxState.Starting or SandboxState.Restoring;
}
