namespace SandboxGrains.Silo.Previews;

/// <summary>How preview links look and behave (section <c>Previews</c>).</summary>
public sealed class PreviewOptions
{
    public const string SectionName = "Previews";

    /// <summary>
    /// Host-form links are <c>{port}-{token}.{Domain}</c>. The default, <c>localhost</c>, needs no DNS: browsers send
    /// every <c>*.localhost</c> name to loopback. Behind a real domain, point a wildcard DNS record here.
    /// </summary>
    public string Domain { get; set; } = "localhost";

    /// <summary>
    /// Scheme, host and port the outside world uses to reach this cluster (e.g. <c>https://sandboxes.example.com</c>);
    /// used to build <c>url</c> and <c>hostUrl</c>. Unset: taken from the request that made the link.
    /// </summary>
    public string? PublicBaseUrl { get; set; }

    /// <summary>
    /// Send <c>Host: localhost:{port}</c> to the app instead of the browser's host, for dev servers that refuse unknown
    /// hosts (Vite's "Blocked request. This host is not allowed"). The browser's host stays in <c>X-Forwarded-Host</c>.
    /// </summary>
    public bool RewriteHost { get; set; }
}

internal sealed class PreviewOptionsValidator : IValidateOptions<PreviewOptions>
{
    public ValidateOptionsResult Validate(string? name, PreviewOptions options)
    {
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.Domain) || Uri.CheckHostName(options.Domain) != UriHostNameType.Dns)
        {
            failures.Add($"Previews:Domain '{options.Domain}' is not a DNS name; use e.g. localhost or preview.example.com.");
        }

        if (options.PublicBaseUrl is { Length: > 0 } baseUrl
            && (!Uri.TryCreate(baseUrl, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.PathAndQuery != "/"))
        {
            failures.Add($"Previews:PublicBaseUrl '{baseUrl}' must be an http(s) URL with no path, e.g. https://sandboxes.example.com.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
