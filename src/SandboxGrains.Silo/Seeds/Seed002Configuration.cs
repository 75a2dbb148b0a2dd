using System.Globalization;

namespace SandboxGrains.Silo.Seeds;

/// <summary>
/// Seed 002's own ways of being configured, read as they were and turned into our settings: its YAML file
/// (<c>--config config.yaml</c>: <c>server.host/port</c>, <c>daemon.mode/port/container_name/startup_timeout/injection_mode</c>,
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
        (["daemon:port", "DAEMON_PORT"], "Daemon:Port"),
    ];

    public static WebApplicationBuilder AddSeed002Configuration(this WebApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        if (configuration["config"] is { Length: > 0 } file)
        {
            if (!File.Exists(file))
            {
                throw new InvalidOperationException($"--config {file}: no such file (seed 002's YAML configuration; config.example.yaml shows one)");
            }

            configuration.AddYamlFile(Path.GetFullPath(file), optional: false, reloadOnChange: false);
        }

        var mapped = new Dictionary<string, string?>();
        foreach (var (seed, ours) in Names)
        {
            if (seed.Select(name => configuration[name]).LastOrDefault(v => !string.IsNullOrEmpty(v)) is { } value)
            {
                mapped[ours] = value;
            }
        }

        if (Last(configuration, "daemon:startup_timeout") is { } timeout)
        {
            mapped["Daemon:StartTimeout"] = double.TryParse(timeout, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds)
                ? TimeSpan.FromSeconds(seconds).ToString("c", CultureInfo.InvariantCulture)
                : throw new InvalidOperationException($"daemon.startup_timeout must be a number of seconds; it is '{timeout}'");
        }

        var host = Last(configuration, "server:host", "DAEMON_PROXY_HOST");
        var port = Last(configuration, "server:port", "DAEMON_PROXY_PORT");
        if (host is not null || port is not null)
        {
            mapped["urls"] = $"http://{host ?? "localhost"}:{port ?? "8080"}";
        }

        if (Last(configuration, "security:api_key") is { } key && !string.Equals(Last(configuration, "security:enabled", "SECURITY_ENABLED"), "false", StringComparison.OrdinalIgnoreCase))
        {
            mapped["Api:Keys:100"] = key;
        }

        if (Last(configuration, "logging:level", "LOG_LEVEL") is { } level)
        {
            mapped["Logging:LogLevel:Default"] = level.ToUpperInvariant() switch
            {
                "DEBUG" => "Debug",
                "INFO" => "Information",
                "WARNING" or "WARN" => "Warning",
                "ERROR" => "Error",
                "CRITICAL" => "Critical",
                _ => throw new InvalidOperationException($"logging.level must be DEBUG, INFO, WARNING, ERROR or CRITICAL; it is '{level}'"),
            };
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
