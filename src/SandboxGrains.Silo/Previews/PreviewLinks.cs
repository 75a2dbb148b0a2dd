using System.Globalization;
using SandboxGrains.Previews;

namespace SandboxGrains.Silo.Previews;

/// <summary>Preview links as this silo serves them: the links it hands out, and reading a host-form host back.</summary>
internal static class PreviewLinks
{
    public static Preview Describe(IssuedPreview issued, HttpRequest request, PreviewOptions options) =>
        PreviewUrls.Describe(issued, PublicBase(request, options), options.Domain);

    /// <summary>
    /// Where the outside world reaches this cluster: <c>Previews:PublicBaseUrl</c>, else the scheme and host the request
    /// came to. Every absolute URL the API hands out starts here.
    /// </summary>
    public static Uri PublicBase(HttpRequest request, PreviewOptions options) =>
        new(options.PublicBaseUrl is { Length: > 0 } configured ? configured : $"{request.Scheme}://{request.Host}");

    /// <summary>
    /// Reads a host-form preview host, <c>{port}-{token}.{domain}</c> (any port after it); false for any other host.
    /// </summary>
    public static bool TryParseHost(string host, string domain, out int port, out string token)
    {
        port = 0;
        token = "";
        var suffix = "." + domain;
        if (!host.EndsWith(suffix, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var label = host[..^suffix.Length];
        var dash = label.IndexOf('-', StringComparison.Ordinal);
        if (dash <= 0 || label.Contains('.', StringComparison.Ordinal)
            || !int.TryParse(label.AsSpan(0, dash), NumberStyles.None, CultureInfo.InvariantCulture, out port))
        {
            return false;
        }

        // Host names are case-insensitive and browsers lowercase them; tokens are lowercase already.
        token = label[(dash + 1)..].ToLowerInvariant();
        return true;
    }
}
