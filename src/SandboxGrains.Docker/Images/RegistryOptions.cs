using System.Text;
using System.Text.Json;

namespace SandboxGrains.Docker;

/// <summary>
/// Where images come from (section <c>Registries</c>): credentials per registry host, given one by one
/// (<c>Registries:&lt;host&gt;:Username</c> and <c>Password</c>; the host may carry a port) or as a Docker
/// <c>config.json</c> (<c>Registries:ConfigFile</c>, its <c>auths</c>), and how long a pull may take. Credentials go to the
/// engine with a pull and nowhere else: never logged, never in a response.
/// </summary>
public sealed class RegistryOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Registries";

    /// <summary>Credentials per registry host (<c>registry.example.com</c>, <c>127.0.0.1:5000</c>, <c>docker.io</c>).</summary>
    public Dictionary<string, RegistryLogin> Logins { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>A Docker client configuration file whose <c>auths</c> hold more credentials (credential helpers are not run).</summary>
    public string? ConfigFile { get; set; }

    /// <summary>How long one pull may take before it fails (a large image on a slow link needs minutes).</summary>
    public TimeSpan PullTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>The credentials for <paramref name="registry"/>: configured ones first, then the config file's; null when none.</summary>
    public RegistryAuth? For(string registry)
    {
        if (Logins.TryGetValue(registry, out var login))
        {
            return new RegistryAuth(registry, login.Username, login.Password);
        }

        return ConfigFile is { Length: > 0 } file && File.Exists(file) ? FromConfigFile(file, registry) : null;
    }

    private static RegistryAuth? FromConfigFile(string file, string registry)
    {
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(file));
            if (!document.RootElement.TryGetProperty("auths", out var auths) || auths.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            foreach (var entry in auths.EnumerateObject())
            {
                if (!string.Equals(HostOf(entry.Name), registry, StringComparison.OrdinalIgnoreCase))
                {
                    continue;
                }

                if (entry.Value.TryGetProperty("auth", out var encoded) && encoded.GetString() is { Length: > 0 } auth)
                {
                    var pair = Encoding.UTF8.GetString(Convert.FromBase64String(auth));
                    var colon = pair.IndexOf(':', StringComparison.Ordinal);
                    return colon > 0 ? new RegistryAuth(registry, pair[..colon], pair[(colon + 1)..]) : null;
                }

                if (entry.Value.TryGetProperty("username", out var user) && entry.Value.TryGetProperty("password", out var password))
                {
                    return new RegistryAuth(registry, user.GetString() ?? "", password.GetString() ?? "");
                }
            }
        }
        catch (Exception e) when (e is JsonException or FormatException or IOException or InvalidOperationException)
        {
            // A broken file gives no credentials; the pull then fails naming the registry that wanted them.
        }

        return null;
    }

    /// <summary>The host in a config.json key, which may be a URL (<c>https://index.docker.io/v1/</c> stands for Docker Hub).</summary>
    private static string HostOf(string key)
    {
        var host = key.Contains("://", StringComparison.Ordinal) ? new Uri(key).Authority : key.Split('/')[0];
        return host is "index.docker.io" or "registry-1.docker.io" ? Images.ImageReference.DockerHub : host;
    }
}

/// <summary>A user name and password for one registry.</summary>
public sealed record RegistryLogin(string Username, string Password)
{
    // A record prints its members; this one must not print the password.
    public override string ToString() => $"RegistryLogin {{ Username = {Username} }}";
}
