using System.Net;
using SandboxGrains.Docker.Sandboxes;
using SandboxGrains.Silo.Hosting;
using SandboxGrains.Silo.Seeds.HostMode;

namespace SandboxGrains.Silo.Seeds;

/// <summary>
/// Seed 002's daemon-proxy service (section <c>DaemonProxy</c>): a <b>default target</b> — one container, or in host mode
/// the host itself — that its routes (<c>/proxy/{port}/…</c>, <c>/api/preview/…</c>, <c>/health</c>, <c>/daemon/status</c>)
/// reach without naming it. Off unless a mode is chosen.
/// </summary>
public sealed class DaemonProxyOptions
{
    public const string SectionName = "DaemonProxy";

    /// <summary>
    /// Empty: off. <c>docker</c>: the container <see cref="ContainerName"/> on this cluster's runners. <c>host</c>: a daemon
    /// on this host, with this host's user's rights (<see cref="HostRunner"/>).
    /// </summary>
    public string Mode { get; set; } = "";

    /// <summary>The target container (docker mode): an id or a name, on any runner.</summary>
    public string? ContainerName { get; set; }

    /// <summary>Seed 002's names: <c>volume</c> copies the daemon in (our <c>copy</c>); <c>direct</c> runs the one the image has (our <c>none</c>).</summary>
    public string InjectionMode { get; set; } = "volume";

    /// <summary>Host mode: the sandboxd to start (seed 002's <c>daemon.path</c>): a bundle folder, or the <c>sandboxd</c> in one. Empty: <c>Daemon:BundlePath</c>.</summary>
    public string? DaemonPath { get; set; }

    /// <summary>Host mode: <c>ip:port</c> of a daemon already listening, used instead of starting one.</summary>
    public string? HostDaemonAddress { get; set; }

    /// <summary>Host mode with <see cref="HostDaemonAddress"/>: the file holding that daemon's secret (its <c>--token-file</c>).</summary>
    public string? HostDaemonTokenFile { get; set; }

    /// <summary>Host mode: the started daemon's work directory (relative paths of the files API and commands' cwd); default <c>$HOME</c>.</summary>
    public string? HostWorkDir { get; set; }

    /// <summary>Host mode: the address the started daemon listens on; loopback unless the operator widens it.</summary>
    public string HostListenAddress { get; set; } = "127.0.0.1";

    public bool Enabled => Mode.Length > 0;

    public bool IsHostMode => Mode == "host";

    internal SandboxGrains.Sandboxes.InjectionMode Injection => InjectionMode == "direct" ? SandboxGrains.Sandboxes.InjectionMode.None : SandboxGrains.Sandboxes.InjectionMode.Copy;
}

internal sealed class DaemonProxyOptionsValidator(IConfiguration configuration, Seed002ConfigurationErrors seedErrors) : IValidateOptions<DaemonProxyOptions>
{
    public ValidateOptionsResult Validate(string? name, DaemonProxyOptions options)
    {
        var failures = new List<string>(seedErrors.Errors);
        switch (options.Mode)
        {
            case "":
                return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
            case "docker":
                if (string.IsNullOrWhiteSpace(options.ContainerName))
                {
                    failures.Add("DaemonProxy:ContainerName is needed in docker mode (seed 002: daemon.container_name, --container-name): the container (id or name) the service's /proxy and preview links reach.");
                }

                break;
            case "host":
                failures.AddRange(HostModeFailures(options));
                break;
            default:
                failures.Add($"DaemonProxy:Mode (seed 002: daemon.mode, DAEMON_MODE, --daemon-mode) must be docker or host, or empty for off; it is '{options.Mode}'.");
                break;
        }

        if (options.InjectionMode is not ("volume" or "direct"))
        {
            failures.Add($"DaemonProxy:InjectionMode (seed 002: daemon.injection_mode, DAEMON_INJECTION_MODE, --injection-mode) must be volume (copy the daemon in) or direct (the image has it); it is '{options.InjectionMode}'.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>
    /// Host mode is one silo serving its own host: in a cluster, every other silo would reach this host's loopback through
    /// it, and a sandbox on the host has no container network to keep it apart.
    /// </summary>
    private List<string> HostModeFailures(DaemonProxyOptions options)
    {
        var failures = new List<string>();
        if (OrleansHosting.IsClusterMode(configuration))
        {
            failures.Add("DaemonProxy:Mode host (seed 002: daemon.mode host) serves this host's own daemon from one silo, and this silo is set up to join a cluster (ConnectionStrings:redis or Orleans:Clustering). Other silos would reach this host's loopback ports through it; run host mode as a single silo (remove the cluster settings), or use docker mode in a cluster.");
        }

        if (!configuration.GetSection(Runners.RunnerOptions.SectionName).GetValue(nameof(Runners.RunnerOptions.Enabled), true))
        {
            failures.Add("DaemonProxy:Mode host makes this host the silo's runner; Runner:Enabled=false leaves it none. Remove Runner:Enabled=false.");
        }

        if (!string.IsNullOrWhiteSpace(options.HostDaemonAddress))
        {
            if (!IPEndPoint.TryParse(options.HostDaemonAddress, out var address) || address.Port == 0)
            {
                failures.Add($"DaemonProxy:HostDaemonAddress must be ip:port of a sandboxd already listening (such as 127.0.0.1:2280); it is '{options.HostDaemonAddress}'.");
            }

            if (string.IsNullOrWhiteSpace(options.HostDaemonTokenFile))
            {
                failures.Add("DaemonProxy:HostDaemonTokenFile is needed with DaemonProxy:HostDaemonAddress: the file holding that daemon's secret (the one it was started with, --token-file or SANDBOXD_TOKEN), which every request to it must carry.");
            }
            else if (!File.Exists(options.HostDaemonTokenFile))
            {
                failures.Add($"DaemonProxy:HostDaemonTokenFile {options.HostDaemonTokenFile}: no such file (it must hold the secret of the daemon at {options.HostDaemonAddress}).");
            }

            return failures;
        }

        if (!IPAddress.TryParse(options.HostListenAddress, out _))
        {
            failures.Add($"DaemonProxy:HostListenAddress must be an IP address (127.0.0.1, the default, keeps the daemon off the network); it is '{options.HostListenAddress}'.");
        }

        if (options.HostWorkDir is { Length: > 0 } workDir && !Path.IsPathFullyQualified(workDir))
        {
            failures.Add($"DaemonProxy:HostWorkDir must be an absolute path; it is '{workDir}'.");
        }

        if (HostDaemon.BundleProblem(options, configuration.GetSection(DaemonInjectionOptions.SectionName).Get<DaemonInjectionOptions>() ?? new()) is { } problem)
        {
            failures.Add(problem);
        }

        return failures;
    }
}
