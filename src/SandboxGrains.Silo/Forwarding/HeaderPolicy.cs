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

    /// <summary>Applies the policy to a request YARP built from the caller's, and adds <paramref name="daemonSecret"/> when given.</summary>
    public void Apply(HttpRequestMessage request, string? daemonSecret)
    {
        var headers = request.Headers;
        foreach (var name in CallerCredentials)
        {
            headers.Remove(name);
        }

        if (Forwarded is not null)
        {
            foreach (var name in ForwardedNames)
            {
                headers.Remove(name);
            }
        }

        if (Hidden is { } hidden)
        {
            foreach (var (name, values) in headers.NonValidated.ToList())
            {
                if (!(OriginMayCarryHidden && name.Equals("Origin", StringComparison.OrdinalIgnoreCase))
                    && values.Any(value => value.Contains(hidden, StringComparison.Ordinal)))
                {
                    headers.Remove(name);
                }
            }
        }

        headers.Host = Host;
        foreach (var (name, value) in Forwarded ?? [])
        {
            headers.TryAddWithoutValidation(name, value);
        }

        if (daemonSecret is not null)
        {
            headers.TryAddWithoutValidation(DaemonProtocol.SecretHeader, daemonSecret);
        }
    }
}
