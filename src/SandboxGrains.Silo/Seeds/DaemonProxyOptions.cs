namespace SandboxGrains.Silo.Seeds;

/// <summary>
/// Seed 002's daemon-proxy service (section <c>DaemonProxy</c>): a <b>default target</b> — one container — that its
/// routes (<c>/proxy/{port}/…</c>, <c>/api/preview/…</c>, <c>/health</c>, <c>/daemon/status</c>) reach without naming it.
/// Off unless a mode is chosen.
/// </summary>
public sealed class DaemonProxyOptions
{
    public const string SectionName = "DaemonProxy";

    /// <summary>Empty: off. <c>docker</c>: the container <see cref="ContainerName"/> on this cluster's runners.</summary>
    public string Mode { get; set; } = "";

    /// <summary>The target container (docker mode): an id or a name, on any runner.</summary>
    public string? ContainerName { get; set; }

    /// <summary>Seed 002's names: <c>volume</c> copies the daemon in (our <c>copy</c>); <c>direct</c> runs the one the image has (our <c>none</c>).</summary>
    public string InjectionMode { get; set; } = "volume";

    public bool Enabled => Mode.Length > 0;

    internal SandboxGrains.Sandboxes.InjectionMode Injection => InjectionMode == "direct" ? SandboxGrains.Sandboxes.InjectionMode.None : SandboxGrains.Sandboxes.InjectionMode.Copy;
}

internal sealed class DaemonProxyOptionsValidator : IValidateOptions<DaemonProxyOptions>
{
    public ValidateOptionsResult Validate(string? name, DaemonProxyOptions options)
    {
        var failures = new List<string>();
        switch (options.Mode)
        {
            case "":
                return ValidateOptionsResult.Success;
            case "docker":
                if (string.IsNullOrWhiteSpace(options.ContainerName))
                {
                    failures.Add("DaemonProxy:ContainerName is needed in docker mode (seed 002: daemon.container_name, --container-name): the container (id or name) the service's /proxy and preview links reach.");
                }

                break;
            case "host":
                failures.Add("DaemonProxy:Mode host (seed 002: daemon.mode host, a daemon on the host itself) is not built yet; use docker with DaemonProxy:ContainerName.");
                break;
            default:
                failures.Add($"DaemonProxy:Mode (seed 002: daemon.mode, DAEMON_MODE, --daemon-mode) must be docker, or empty for off; it is '{options.Mode}'.");
                break;
        }

        if (options.InjectionMode is not ("volume" or "direct"))
        {
            failures.Add($"DaemonProxy:InjectionMode (seed 002: daemon.injection_mode, DAEMON_INJECTION_MODE, --injection-mode) must be volume (copy the daemon in) or direct (the image has it); it is '{options.InjectionMode}'.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
