using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using SandboxGrains.Docker.Sandboxes;
using SandboxGrains.Grains.Routing;
using SandboxGrains.Http;
using SandboxGrains.Previews;
using SandboxGrains.Silo.Api;
using SandboxGrains.Silo.Proxy;
using Yarp.ReverseProxy.Forwarder;

namespace SandboxGrains.Silo.Previews;

/// <summary>
/// Forwards one preview request, path form or host form: token → grant → the app on the container's address, or
/// through the sandbox's daemon (<c>/proxy/{port}</c>) when the app listens only inside. Lookups go through this silo's <see cref="RouteCache"/>. Every refusal is JSON (problem+json with a code),
/// never a page or a redirect, because the caller may be a script, an iframe or a WebSocket client.
/// </summary>
internal sealed class PreviewForwarder(
    IGrainFactory grains,
    RouteCache routes,
    DaemonForwarding forwarding,
    DirectAppForwarder directApps,
    ActivitySampler activity,
    IOptions<PreviewOptions> options,
    IOptions<DaemonInjectionOptions> daemonOptions,
    TimeProvider time)
{
    /// <summary>
    /// Forwards the request to the preview behind <paramref name="token"/>. <paramref name="hostPort"/> is the port named
    /// in a host-form link (it must be the link's port); <paramref name="pathAndQuery"/> is what the app receives, raw.
    /// </summary>
    public async Task<IResult> ForwardAsync(HttpContext context, string token, int? hostPort, string pathAndQuery)
    {
        if (!PreviewTokens.IsWellFormed(token))
        {
            return NotFound();
        }

        var tokenHash = PreviewTokens.Hash(token);
        PreviewGrant? grant;
        DaemonEndpoint daemon;
        try
        {
            grant = await routes.GetGrantAsync(tokenHash, () => grains.GetGrain<IPreviewGrain>(tokenHash).GetAsync());
            if (grant is null || (hostPort is { } port && port != grant.Port))
            {
                return NotFound();
            }

            if (grant.IsExpired(time.GetUtcNow()))
            {
                return Problems.Create(StatusCodes.Status410Gone, SandboxErrorCodes.PreviewExpired, "Gone", $"this preview link expired at {grant.ExpiresAt:O}");
            }

            daemon = await routes.GetEndpointAsync(grant.SandboxId, () => grains.GetGrain<ISandboxGrain>(grant.SandboxId).GetDaemonEndpointAsync());
        }
        catch (SandboxException e) when (e.Code == SandboxErrorCodes.NotFound)
        {
            // The sandbox is gone; so is every link to it.
            return NotFound();
        }
        catch (Exception e) when (SandboxErrorCodes.IsClusterChurn(e))
        {
            context.Response.Headers.RetryAfter = "1";
            return Problems.ServiceUnavailable(SandboxErrorCodes.ClusterUnavailable, SandboxErrorCodes.ClusterUnavailableMessage);
        }

        if (daemon.State != SandboxState.Started || daemon.Address is null || daemon.Token is null)
        {
            return DaemonForwarding.NotServing(context, grant.SandboxId, daemon.State);
        }

        if (grant.Port == daemonOptions.Value.Port)
        {
            // Granting refuses this port; a link made before a change of Daemon:Port must not open the daemon either.
            return NotFound();
        }

        activity.Record(grant.SandboxId);
        var appPathAndQuery = WithoutToken(pathAndQuery, token);
        var hostForm = hostPort is not null;

        // Fast path: straight to the app on the container's address, one proxy hop fewer. An app that listens only on
        // 127.0.0.1 refuses that connection; then (and for a while after, remembered per port, once the daemon reached
        // it) the daemon's /proxy reaches it from inside. A port nothing listens on yet is not remembered: the app may be
        // starting, and should get the fast path once it is up. Requests with a body go direct only once the port is
        // known to take direct traffic, because a refused attempt must be repeatable.
        var route = (grant.SandboxId, grant.Port);
        var known = _directRoutes.TryGetValue(route, out var seen) && time.GetUtcNow() - seen.At < DirectRouteMemory ? seen.Direct : (bool?)null;
        var directRefused = false;
        if (known != false && (known == true || DaemonForwarding.HasNoBody(context.Request)))
        {
            var rewriteHost = options.Value.RewriteHost;
            var answered = DirectAppForwarder.Takes(context.Request)
                ? await directApps.ForwardAsync(
                    context, HostOf(daemon.Address), grant.Port, appPathAndQuery, AppHeaders(context, token, hostForm, rewriteHost, grant.Port))
                : await forwarding.TryForwardDirectAsync(
                    context, $"{HostOf(daemon.Address)}:{grant.Port}", grant.Port, new PreviewTransformer(appPathAndQuery, null, token, hostForm, rewriteHost, grant));
            if (answered is not null)
            {
                Remember(route, direct: true);
                return answered;
            }

            directRefused = true;
        }

        var viaDaemon = new PreviewTransformer($"/proxy/{grant.Port}{appPathAndQuery}", daemon.Token, token, hostForm, options.Value.RewriteHost, grant);
        var result = await forwarding.ForwardAsync(context, grant.SandboxId, daemon.Address, viaDaemon);
        if (directRefused && result is EmptyHttpResult && !viaDaemon.DaemonRefused)
        {
            Remember(route, direct: false);
        }

        return result;
    }

    /// <summary>How long a port's way in (direct or through the daemon) is trusted before it is tried afresh.</summary>
    private static readonly TimeSpan DirectRouteMemory = TimeSpan.FromSeconds(30);

    private readonly ConcurrentDictionary<(string SandboxId, int Port), (bool Direct, DateTimeOffset At)> _directRoutes = new();

    private void Remember((string SandboxId, int Port) route, bool direct)
    {
        if (_directRoutes.Count > 100_000)
        {
            _directRoutes.Clear();
        }

        if (!_directRoutes.TryGetValue(route, out var seen) || seen.Direct != direct || time.GetUtcNow() - seen.At > DirectRouteMemory / 2)
        {
            _directRoutes[route] = (direct, time.GetUtcNow());
        }
    }

    /// <summary>The container's address from the daemon's <c>ip:port</c>.</summary>
    private static string HostOf(string daemonAddress) => daemonAddress[..daemonAddress.LastIndexOf(':')];

    private static ProblemHttpResult NotFound() =>
        Problems.NotFound(SandboxErrorCodes.PreviewNotFound, "no preview link with this token: it never existed, was revoked, or its sandbox was deleted");

    /// <summary>Drops every query parameter whose value is the token (however it is named), keeping the rest byte for byte.</summary>
    internal static string WithoutToken(string pathAndQuery, string token)
    {
        var mark = pathAndQuery.IndexOf('?', StringComparison.Ordinal);
        if (mark < 0 || !pathAndQuery.Contains(token, StringComparison.Ordinal))
        {
            return pathAndQuery;
        }

        var kept = pathAndQuery[(mark + 1)..]
            .Split('&')
            .Where(pair => pair.Split('=', 2) is not [_, var value] || WebUtility.UrlDecode(value) != token)
            .ToList();
        return pathAndQuery[..mark] + (kept.Count == 0 ? "" : "?" + string.Join('&', kept));
    }

    private static readonly string[] ForwardedHeaders = ["X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host", "X-Forwarded-Prefix"];

    /// <summary>
    /// Whether one header of the browser's request reaches the app. The token is the link's credential and stays out of
    /// every header (a <c>Referer</c> from a page of the link carries it) — except, in the host form, the host name itself
    /// (<c>Origin</c>; <c>Host</c> and <c>X-Forwarded-Host</c> are set by <see cref="AddedHeaders"/>), which is the app's
    /// public name unless <c>Previews:RewriteHost</c> replaces it with <c>localhost:{port}</c>. The caller's credentials
    /// and any <c>X-Forwarded-*</c> it sent never pass.
    /// </summary>
    private static bool ReachesApp(string name, string value, string previewToken, bool keepHostName) =>
        !ForwardedHeaders.Contains(name, StringComparer.OrdinalIgnoreCase)
        && !DaemonHeaders.IsCredential(name)
        && (!value.Contains(previewToken, StringComparison.Ordinal) || (keepHostName && name.Equals("Origin", StringComparison.OrdinalIgnoreCase)));

    /// <summary>What the app gets on top of the browser's headers: <c>Host</c> and <c>X-Forwarded-For/Proto/Host</c>.</summary>
    private static IEnumerable<KeyValuePair<string, string>> AddedHeaders(HttpContext context, bool hostForm, bool rewriteHost, int port)
    {
        var request = context.Request;
        yield return new("Host", rewriteHost ? $"localhost:{port}" : request.Host.Value ?? "");
        if (context.Connection.RemoteIpAddress?.ToString() is { } client)
        {
            var earlierFor = request.Headers["X-Forwarded-For"].ToString();
            yield return new("X-Forwarded-For", earlierFor.Length > 0 ? $"{earlierFor}, {client}" : client);
        }

        yield return new("X-Forwarded-Proto", request.Scheme);
        if (!hostForm || !rewriteHost)
        {
            yield return new("X-Forwarded-Host", request.Host.Value ?? "");
        }
    }

    /// <summary>Every header the app gets, for <see cref="DirectAppForwarder"/>, which writes them as they are.</summary>
    private static List<KeyValuePair<string, string>> AppHeaders(HttpContext context, string previewToken, bool hostForm, bool rewriteHost, int port)
    {
        var keepHostName = hostForm && !rewriteHost;
        var headers = new List<KeyValuePair<string, string>>(context.Request.Headers.Count + 4);
        foreach (var (name, values) in context.Request.Headers)
        {
            if (DirectAppForwarder.IsHopByHopRequestHeader(name))
            {
                continue;
            }

            foreach (var value in values)
            {
                if (value is not null && ReachesApp(name, value, previewToken, keepHostName))
                {
                    headers.Add(new(name, value));
                }
            }
        }

        headers.AddRange(AddedHeaders(context, hostForm, rewriteHost, port));
        return headers;
    }

    /// <summary>The request as the app gets it when YARP carries it (bodies, upgrades, the hop through the daemon): the same headers as <see cref="AppHeaders"/>.</summary>
    /// <remarks>With a daemon secret the request goes to the daemon's <c>/proxy</c>; without one, straight to the app.</remarks>
    private sealed class PreviewTransformer(string pathAndQuery, string? daemonToken, string previewToken, bool hostForm, bool rewriteHost, PreviewGrant grant)
        : HttpTransformer
    {
        public override async ValueTask TransformRequestAsync(
            HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
        {
            await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);
            proxyRequest.RequestUri = RawRequestTarget.Destination(destinationPrefix, pathAndQuery);

            var keepHostName = hostForm && !rewriteHost;
            foreach (var header in proxyRequest.Headers.ToList())
            {
                if (header.Value.Any(value => !ReachesApp(header.Key, value, previewToken, keepHostName)))
                {
                    proxyRequest.Headers.Remove(header.Key);
                }
            }

            if (daemonToken is not null)
            {
                DaemonHeaders.Replace(proxyRequest, daemonToken);
            }

            foreach (var (name, value) in AddedHeaders(httpContext, hostForm, rewriteHost, grant.Port))
            {
                if (name == "Host")
                {
                    proxyRequest.Headers.Host = value;
                }
                else
                {
                    proxyRequest.Headers.TryAddWithoutValidation(name, value);
                }
            }
        }

        /// <summary>The <c>message</c> of an error the daemon answered itself (a few hundred bytes of JSON); null if unreadable.</summary>
        private static async Task<string?> DaemonMessageAsync(HttpResponseMessage response, CancellationToken cancellationToken)
        {
            try
            {
                using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
                return body.RootElement.TryGetProperty("message", out var message) ? message.GetString() : null;
            }
            catch (JsonException)
            {
                return null;
            }
        }

        /// <summary>Set when the daemon answered for itself instead of passing on the app's answer.</summary>
        public bool DaemonRefused { get; private set; }

        public override async ValueTask<bool> TransformResponseAsync(
            HttpContext httpContext, HttpResponseMessage? proxyResponse, CancellationToken cancellationToken)
        {
            if (daemonToken is null || proxyResponse?.Headers.TryGetValues(DaemonHeaders.ErrorHeader, out var codes) != true)
            {
                return await base.TransformResponseAsync(httpContext, proxyResponse, cancellationToken);
            }

            // The daemon itself refused (nothing listens on the port, or the port is not allowed): answer in our words.
            DaemonRefused = true;
            var code = codes!.FirstOrDefault();
            var problem = code == "PORT_UNREACHABLE"
                ? Problems.Create(
                    StatusCodes.Status502BadGateway,
                    SandboxErrorCodes.PortUnreachable,
                    "Bad gateway",
                    $"nothing is listening on port {grant.Port} in sandbox {grant.SandboxId}; start the app there (listening on 0.0.0.0 or 127.0.0.1)",
                    new Dictionary<string, object?> { ["port"] = grant.Port })
                : Problems.Create(
                    StatusCodes.Status502BadGateway,
                    SandboxErrorCodes.PortUnreachable,
                    "Bad gateway",
                    code == "APP_FAILED"
                        ? $"{await DaemonMessageAsync(proxyResponse, cancellationToken) ?? $"the app on port {grant.Port} failed the request"} (in sandbox {grant.SandboxId}, through its daemon)"
                        : $"the sandbox daemon refused to forward to port {grant.Port} ({code})",
                    new Dictionary<string, object?> { ["port"] = grant.Port });
            await problem.ExecuteAsync(httpContext);
            return false;
        }
    }
}
