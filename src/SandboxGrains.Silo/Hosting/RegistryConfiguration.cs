using SandboxGrains.Docker;

namespace SandboxGrains.Silo.Hosting;

/// <summary>
/// Reads <see cref="RegistryOptions"/> from the <c>Registries</c> section. Registry hosts may carry a port
/// (<c>127.0.0.1:5000</c>), and configuration keys split at colons, so <c>Registries:127.0.0.1:5000:Username</c> arrives as
/// nested sections: a host is whatever path leads to a section holding a <c>Username</c>.
/// </summary>
internal static class RegistryConfiguration
{
    public static void Read(RegistryOptions options, IConfiguration configuration)
    {
        var section = configuration.GetSection(RegistryOptions.SectionName);
        section.Bind(options);
        Collect(section, prefix: null, options);
    }

    private static void Collect(IConfigurationSection section, string? prefix, RegistryOptions options)
    {
        foreach (var child in section.GetChildren())
        {
            if (child.Value is not null)
            {
                continue; // A setting of its own (ConfigFile, PullTimeout), not a host.
            }

            var host = prefix is null ? child.Key : $"{prefix}:{child.Key}";
            if (child["Username"] is { } username)
            {
                options.Logins[host] = new RegistryLogin(username, child["Password"] ?? "");
            }
            else
            {
                Collect(child, host, options);
            }
        }
    }
}
