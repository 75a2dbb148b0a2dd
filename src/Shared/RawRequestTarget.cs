using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace SandboxGrains.Http;

/// <summary>
/// The request target exactly as the client sent it. ASP.NET Core decodes <c>Request.Path</c>; re-encoding it changes
/// bytes (<c>%c3%a9</c> comes back as <c>%C3%A9</c>, <c>%41</c> as <c>A</c>), and apps behind a proxy can tell. Proxies
/// forward from this instead. Compiled into both the silo and the daemon.
/// </summary>
internal static class RawRequestTarget
{
    /// <summary>
    /// The raw path and query after <paramref name="prefix"/> (which must match literally), always starting with
    /// <c>/</c>. Falls back to the re-encoded path when the raw target is not in origin form or does not start with it.
    /// </summary>
    public static string After(HttpContext context, string prefix)
    {
        var raw = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
        if (raw is not null && raw.StartsWith(prefix, StringComparison.Ordinal)
            && (raw.Length == prefix.Length || raw[prefix.Length] is '/' or '?'))
        {
            var rest = raw[prefix.Length..];
            return rest.StartsWith('/') ? rest : "/" + rest;
        }

        context.Request.Path.StartsWithSegments(prefix, out var path);
        return (path.HasValue ? path.ToUriComponent() : "/") + context.Request.QueryString.ToUriComponent();
    }

    /// <summary>An absolute URI that keeps <paramref name="pathAndQuery"/> byte for byte (no canonicalization).</summary>
    public static Uri Destination(string destinationPrefix, string pathAndQuery) =>
        new(destinationPrefix.TrimEnd('/') + pathAndQuery, new UriCreationOptions { DangerousDisablePathAndQueryCanonicalization = true });
}
