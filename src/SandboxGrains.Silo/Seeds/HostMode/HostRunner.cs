namespace SandboxGrains.Silo.Seeds.HostMode;

/// <summary>
/// Seed 002's host mode, in the cluster's own terms: the silo's runner is this host, with no Docker engine, and its one
/// sandbox is a daemon on the host (started by the silo, or one already listening), seen as an adopted "container" named
/// <see cref="ContainerId"/> whose injection is <c>none</c>. The sandbox grain, the toolbox, preview links and seed 002's
/// routes then work on it unchanged; its daemon address is loopback, so apps are reached on host ports.
/// </summary>
internal static class HostRunner
{
    /// <summary>The host's one "container", as the runner names it to the sandbox grain and seed 003's routes.</summary>
    public const string ContainerId = "host";

    /// <summary>The id of the sandbox the host daemon is: fixed, so a restarted silo finds the same one.</summary>
    public const string SandboxId = "host";

    /// <summary>True when the configuration chooses host mode (read before the host is built).</summary>
    public static bool IsChosen(IConfiguration configuration) =>
        configuration.GetSection(DaemonProxyOptions.SectionName).Get<DaemonProxyOptions>()?.IsHostMode == true;
}
