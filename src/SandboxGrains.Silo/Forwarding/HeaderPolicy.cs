using Microsoft.Extensions.Primitives;
using SandboxGrains.Http.Http1;

namespace SandboxGrains.Silo.Forwarding;

/// <summary>
/// What of the caller's request headers reach the next hop and what is added: one policy for every lane. The caller's
/// credentials (<c>Authorization</c>, <c>X-API-Key</c>) and any daemon secret it sent never pass — an API key must not
/// reach a sandbox, where any process could log it. Response headers pass as the app sent them.
/// </summary>
internal sealed record HeaderPolicy
{
    private static readonly string[] CallerCredentials = ["Authorization", "X-API-Key", DaemonProtocol.SecretHeader];
    private static readonly string[] ForwardedNames = ["X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host", "X-Forwarded-Prefix"];

    /// <summary>The toolbox: the daemon's own API. Credentials off; the daemon sees its own address as the host.</summary>
    public static HeaderPolicy Toolbox { get; } = new();

    /// <summary>The <c>Host</c> the next hop gets; null: its own address.</summary>
    public string? Host { get; init; }

    /// <summary>A secret no header value may carry on (a preview token: a <c>Referer</c> from a page of the link has it).</summary>
    public string? Hidden { get; init; }

    /// <summary><c>Origin</c> may carry <see cref="Hidden"/>: in the host form it is the app's own public name.</summary>
    public bool OriginMayCarryHidden { get; init; }

    /// <summary><c>X-Forwarded-*</c> for the app, replacing any the caller sent; null: none set, none removed.</summary>
    public IReadOnlyList<KeyValuePair<string, string>>? Forwarded { get; init; }

    /// <summary>
    /// A preview's policy: the token stays out of every header but the host form's own name; the app sees the browser's
    /// host (or <c>localhost:{port}</c> with <c>Previews:RewriteHost</c>, for dev servers that refuse unknown hosts) and
    /// <c>X-Forwarded-For/Proto/Host</c>.
    /// </summary>
    public static HeaderPolicy ForPreview(HttpContext context, string token, bool hostForm, bool rewriteHost, int port)
    {
        var request = context.Request;
        var forwarded = new List<KeyValuePair<string, string>>(3);
        if (context.Connection.RemoteIpAddress?.ToString() is { } client)
        {
            var earlier = request.Headers["X-Forwarded-For"].ToString();
            forwarded.Add(new("X-Forwarded-For", earlier.Length > 0 ? $"{earlier}, {client}" : client));
        }

        forwarded.Add(new("X-Forwarded-Proto", request.Scheme));
        if (!hostForm || !rewriteHost)
        {
            forwarded.Add(new("X-Forwarded-Host", request.Host.Value ?? ""));
        }

        return new HeaderPolicy
        {
            Host = rewriteHost ? $"localhost:{port}" : request.Host.Value ?? "",
            Hidden = token,
            OriginMayCarryHidden = hostForm && !rewriteHost,
            Forwarded = forwarded,
        };
    }

    /// <summary>
    /// Whether one of the caller's headers passes on (all its values must). The one rule both lanes use: YARP's
    /// (<see cref="Apply"/>) and the bodiless exchange's (<see cref="AddTo"/>).
    /// </summary>
    public bool Passes(string name, string value) =>
        !IsOneOf(name, CallerCredentials)
        && (Forwarded is null || !IsOneOf(name, ForwardedNames))
        && (Hidden is not { } hidden || !value.Contains(hidden, StringComparison.Ordinal)
            || (OriginMayCarryHidden && name.Equals("Origin", StringComparison.OrdinalIgnoreCase)));

    /// <summary>Applies the policy to a request YARP built from the caller's, and adds <paramref name="daemonSecret"/> when given.</summary>
    public void Apply(HttpRequestMessage request, string? daemonSecret)
    {
        var headers = request.Headers;
        List<string>? refused = null;
        foreach (var (name, values) in headers.NonValidated)
        {
            foreach (var value in values)
            {
                if (!Passes(name, value))
                {
                    (refused ??= []).Add(name);
                    break;
                }
            }
        }

        foreach (var name in refused ?? [])
        {
            headers.Remove(name);
        }

        headers.Host = Host;
        foreach (var (name, value) in Added(daemonSecret))
        {
            headers.TryAddWithoutValidation(name, value);
        }
    }

    /// <summary>
    /// Writes every header the next hop gets into <paramref name="head"/>, from the caller's request: those that pass
    /// (hop-by-hop ones and <c>Host</c> left out) and those the policy adds. <c>Host</c> itself is <see cref="Host"/>.
    /// </summary>
    public void AddTo(Http1RequestHead head, HttpRequest request, string? daemonSecret)
    {
        foreach (var (name, values) in request.Headers)
        {
            if (!IsOneOf(name, NotPassedOn) && AllPass(name, values))
            {
                foreach (var value in values)
                {
                    head.Add(name, value!);
                }
            }
        }

        foreach (var (name, value) in Added(daemonSecret))
        {
            head.Add(name, value);
        }
    }

    private bool AllPass(string name, StringValues values)
    {
        foreach (var value in values)
        {
            if (value is null || !Passes(name, value))
            {
                return false;
            }
        }

        return true;
    }

    private IEnumerable<KeyValuePair<string, string>> Added(string? daemonSecret)
    {
        foreach (var header in Forwarded ?? [])
        {
            yield return header;
        }

        if (daemonSecret is not null)
        {
            yield return new(DaemonProtocol.SecretHeader, daemonSecret);
        }
    }

    /// <summary>Headers of one hop (RFC 9110 §7.6.1), and those the next hop's framing sets: never copied from the caller.</summary>
    private static readonly string[] NotPassedOn =
        ["Host", "Connection", "Keep-Alive", "Proxy-Connection", "TE", "Transfer-Encoding", "Upgrade", "Trailer", "Expect"];

    private static bool IsOneOf(string name, string[] names)
    {
        foreach (var candidate in names)
        {
            if (name.Equals(candidate, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }
}
