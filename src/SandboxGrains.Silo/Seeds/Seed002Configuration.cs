using System.Globalization;

namespace SandboxGrains.Silo.Seeds;

/// <summary>
/// Seed 002's own ways of being configured, read as they were and turned into our settings: its YAML file
/// (<c>--config config.yaml</c>: <c>server.host/port</c>, <c>daemon.mode/port/path/container_name/startup_timeout/injection_mode</c>,
/// <c>security.enabled/api_key</c>, <c>logging.level</c>), its environment variables (<c>DAEMON_PROXY_HOST</c>, …) and its
/// flags (<c>--daemon-mode</c>, …), later ones winning as in the seed. What it sets lands on our names
/// (<c>docs/seed-002.md</c> has the table), so validation and everything after see one configuration.
/// </summary>
internal static class Seed002Configuration
{
    /// <summary>Seed 002's names, from the least to the most binding, each with the setting it becomes.</summary>
    private static readonly (string[] Seed, string Ours)[] Names =
    [
        (["daemon:mode", "DAEMON_MODE", "daemon-mode"], "DaemonProxy:Mode"),
        (["daemon:container_name", "container-name"], "DaemonProxy:ContainerName"),
        (["daemon:injection_mode", "DAEMON_INJECTION_MODE", "injection-mode"], "DaemonProxy:InjectionMode"),
        (["daemon:path", "DAEMON_PATH"], "DaemonProxy:DaemonPath"),
    ];

    public static WebApplicationBuilder AddSeed002Configuration(this WebApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        var errors = new List<string>();
        builder.Services.AddSingleton(new Seed002ConfigurationErrors(errors));
        if (configuration["config"] is { Length: > 0 } file)
        {
            if (!File.Exists(file))
            {
                errors.Add($"--config {file}: no such file (seed 002's YAML configuration; config.example.yaml shows one)");
                return builder;
            }

            try
            {
                configuration.AddYamlFile(Path.GetFullPath(file), optional: false, reloadOnChange: false);
            }
            catch (Exception e) when (e is FormatException or InvalidDataException or YamlDotNet.Core.YamlException)
            {
                errors.Add($"--config {file} is not YAML seed 002 can read: {e.Message}");
                return builder;
            }
        }

        var mapped = new Dictionary<string, string?>();
        foreach (var (seed, ours) in Names)
        {
            if (seed.Select(name => configuration[name]).LastOrDefault(v => !string.IsNullOrEmpty(v)) is { } value)
            {
                mapped[ours] = value;
            }
        }

        if (Last(configuration, "daemon:port", "DAEMON_PORT") is { } daemonPort)
        {
            if (int.TryParse(daemonPort, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number is >= 1 and <= 65535)
            {
                mapped["Daemon:Port"] = daemonPort;
            }
            else
            {
                // YAML's daemon.port is our Daemon:Port too (keys ignore case): without the default over it, binding would
                // throw before this mistake could be reported.
                errors.Add($"daemon.port (DAEMON_PORT) must be a port from 1 to 65535, where the daemon listens; it is '{daemonPort}'.");
                mapped["Daemon:Port"] = DaemonProtocol.DefaultPort.ToString(CultureInfo.InvariantCulture);
            }
        }

        if (Last(configuration, "daemon:startup_timeout") is { } timeout)
        {
            if (double.TryParse(timeout, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds > 0)
            {
                mapped["Daemon:StartTimeout"] = TimeSpan.FromSeconds(seconds).ToString("c", CultureInfo.InvariantCulture);
            }
            else
            {
                errors.Add($"daemon.startup_timeout must be a positive number of seconds (how long the daemon may take to answer /version); it is '{timeout}'.");
            }
        }

        var host = Last(configuration, "server:host", "DAEMON_PROXY_HOST");
        var port = Last(configuration, "server:port", "DAEMON_PROXY_PORT");
        if (host is not null || port is not null)
        {
            mapped["urls"] = $"http://{host ?? "localhost"}:{port ?? "8080"}";
        }

        var securityOff = string.Equals(Last(configuration, "security:enabled", "SECURITY_ENABLED"), "false", StringComparison.OrdinalIgnoreCase);
        if (securityOff)
        {
            // Honoured on loopback only; Api:KeyOptionalOnLoopback's validation refuses it on any other listener.
            mapped["Api:KeyOptionalOnLoopback"] = "true";
        }
        else if (Last(configuration, "security:api_key") is { } key)
        {
            mapped["Api:Keys:100"] = key;
        }

        if (Last(configuration, "logging:level", "LOG_LEVEL") is { } level)
        {
            string? ours = level.ToUpperInvariant() switch
            {
                "DEBUG" => "Debug",
                "INFO" => "Information",
                "WARNING" or "WARN" => "Warning",
                "ERROR" => "Error",
                "CRITICAL" => "Critical",
                _ => null,
            };
            if (ours is null)
            {
                errors.Add($"logging.level (LOG_LEVEL) must be DEBUG, INFO, WARNING, ERROR or CRITICAL; it is '{level}'.");
            }
            else
            {
                mapped["Logging:LogLevel:Default"] = ours;
            }
        }

        if (mapped.Count > 0)
        {
            configuration.AddInMemoryCollection(mapped);
        }

        return builder;
    }

    private static string? Last(IConfiguration configuration, params string[] names) =>
        names.Select(name => configuration[name]).LastOrDefault(v => !string.IsNullOrEmpty(v));
}
