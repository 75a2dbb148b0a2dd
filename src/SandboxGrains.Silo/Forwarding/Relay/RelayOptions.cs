using SandboxGrains.Silo.Hosting;
using SandboxGrains.Silo.Runners;

namespace SandboxGrains.Silo.Forwarding.Relay;

/// <summary>
/// How sandboxes are reached across hosts, from three settings that belong to three sections: <c>Cluster:Secret</c> (what
/// relays and the silos using them share), <c>Silo:InternalUrls</c> (where this silo's relay listens) and
/// <c>Runner:ContainerNetworkReachable</c> (every silo reaches this runner's containers itself). Read once from
/// configuration, because the silo announces the outcome in its Orleans metadata before the host is built.
/// </summary>
internal sealed class RelayOptions
{
    public const string SecretKey = "Cluster:Secret";
    public const string InternalUrlsKey = "Silo:InternalUrls";
    public const string ReachableKey = "Runner:ContainerNetworkReachable";

    /// <summary>Where a runner's relay listens when <c>Cluster:Secret</c> is set and <c>Silo:InternalUrls</c> is not.</summary>
    public const string DefaultInternalUrl = "http://0.0.0.0:5090";

    /// <summary>Shortest <c>Cluster:Secret</c> taken: 32 characters, as <c>openssl rand -hex 16</c> prints.</summary>
    public const int MinimumSecretLength = 32;

    /// <summary>The shared secret relays check; null when none is configured.</summary>
    public string? Secret { get; private set; }

    /// <summary><c>Silo:InternalUrls</c> as configured (semicolon-separated); null when unset.</summary>
    public string? InternalUrls { get; private set; }

    public bool ContainerNetworkReachable { get; private set; }

    /// <summary>The silo joins others through Redis (a relay has no one to serve in an embedded silo).</summary>
    public bool ClusterMode { get; private set; }

    /// <summary>This silo owns a runner (only such a silo has containers to relay to).</summary>
    public bool OwnsRunner { get; private set; }

    /// <summary>This silo serves a relay for its runner's containers.</summary>
    public bool ServesRelay => ClusterMode && OwnsRunner && (InternalUrls is not null || Secret is not null);

    /// <summary>Where the relay listens; empty when it serves none.</summary>
    public IReadOnlyList<Uri> ListenUrls => ServesRelay ? ParseUrls(InternalUrls ?? DefaultInternalUrl).Urls : [];

    /// <summary>
    /// <c>host:port</c> other silos connect to, announced in silo metadata; the host is empty when the relay listens on
    /// every address, and then it is the silo's own advertised address (the one other silos already reach it at).
    /// </summary>
    public string? AdvertisedEndpoint => ListenUrls is [var first, ..]
        ? $"{(IsWildcard(first.Host) ? "" : first.Host)}:{first.Port}"
        : null;

    public static RelayOptions Read(IConfiguration configuration)
    {
        var options = new RelayOptions();
        options.Bind(configuration);
        return options;
    }

    /// <summary>Reads the three settings (and the facts they depend on) from <paramref name="configuration"/>.</summary>
    public void Bind(IConfiguration configuration)
    {
        Secret = NullIfEmpty(configuration[SecretKey]);
        InternalUrls = NullIfEmpty(configuration[InternalUrlsKey]);
        ContainerNetworkReachable = configuration.GetValue<bool>(ReachableKey);
        ClusterMode = OrleansHosting.IsClusterMode(configuration);
        OwnsRunner = configuration.GetSection(RunnerOptions.SectionName).GetValue(nameof(RunnerOptions.Enabled), true);
    }

    /// <summary>Every mistake in these settings, worded for the person who made it; empty when there is none.</summary>
    /// <param name="otherListeners">The ports the silo's other listeners use, each with the setting that names it.</param>
    public List<string> Failures(IReadOnlyList<(int Port, string Setting)> otherListeners)
    {
        var failures = new List<string>();
        if (Secret is { Length: < MinimumSecretLength })
        {
            failures.Add($"{SecretKey} must be at least {MinimumSecretLength} characters (for example the output of `openssl rand -hex 32`), the same on every silo.");
        }

        if (InternalUrls is not null)
        {
            var (urls, errors) = ParseUrls(InternalUrls);
            failures.AddRange(errors);
            if (!OwnsRunner)
            {
                failures.Add($"{InternalUrlsKey} is where a silo relays traffic to its runner's containers; this silo owns no runner (Runner:Enabled=false), so leave it unset.");
            }
            else if (Secret is null)
            {
                failures.Add($"{InternalUrlsKey} serves this runner's relay, which only takes requests signed with {SecretKey}; set {SecretKey} (the same on every silo).");
            }

            foreach (var (port, setting) in otherListeners.Where(other => urls.Any(u => u.Port == other.Port)))
            {
                failures.Add($"{InternalUrlsKey} uses port {port}, which {setting} listens on; the relay needs a port of its own.");
            }
        }

        if (ClusterMode && OwnsRunner && Secret is null && !ContainerNetworkReachable)
        {
            failures.Add(
                $"In cluster mode every silo must be able to reach this runner's sandboxes. Either set {SecretKey} (the same long random value on every silo): " +
                $"other silos then go through this silo's relay ({InternalUrlsKey}, default {DefaultInternalUrl}); or set {ReachableKey}=true " +
                "when every silo reaches this host's container network itself (all silos on one host, or a routed container network).");
        }

        return failures;
    }

    private static (List<Uri> Urls, List<string> Errors) ParseUrls(string value)
    {
        var urls = new List<Uri>();
        var errors = new List<string>();
        foreach (var text in value.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (Listeners.Parse(text) is { Scheme: "http", AbsolutePath: "/", Port: > 0 and <= 65535 } uri
                && text.Contains($":{uri.Port}", StringComparison.Ordinal))
            {
                urls.Add(uri);
            }
            else
            {
                errors.Add($"{InternalUrlsKey} '{text}' must be an http:// URL with a port and no path, such as {DefaultInternalUrl}.");
            }
        }

        return (urls, errors);
    }

    private static bool IsWildcard(string host) => host is "0.0.0.0" or "[::]" or "::";

    private static string? NullIfEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}

/// <summary>Checks <see cref="RelayOptions"/> at start-up, beside every other setting.</summary>
internal sealed class RelayOptionsValidator(ApiListener api, IConfiguration configuration) : IValidateOptions<RelayOptions>
{
    public ValidateOptionsResult Validate(string? name, RelayOptions options)
    {
        List<(int Port, string Setting)> others = [.. api.Ports.Select(port => (port, "the API (urls)"))];
        if (OrleansDashboardHosting.ListenUrl(configuration) is { } dashboard && Listeners.Parse(dashboard) is { } uri)
        {
            others.Add((uri.Port, "Orleans' dashboard (OrleansDashboard:Url)"));
        }

        var failures = options.Failures(others);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
