using System.Diagnostics;
using System.Net;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.Features;
using SandboxGrains.Silo.Api;
using Yarp.ReverseProxy.Forwarder;

namespace SandboxGrains.Silo.Proxy;

/// <summary>
/// The one outbound connection pool and request settings every forward to a sandbox daemon uses (toolbox and
/// previews): no proxy, no redirects, no decompression, no cookies; HTTP/1.1, which carries WebSocket upgrades.
/// </summary>
internal sealed class DaemonForwarding(IHttpForwarder forwarder) : IDisposable
{
    public HttpMessageInvoker Invoker { get; } = new(new SocketsHttpHandler
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        AutomaticDecompression = DecompressionMethods.None,
        UseCookies = false,
        EnableMultipleHttp2Connections = true,
        ActivityHeadersPropagator = new ReverseProxyPropagator(DistributedContextPropagator.Current),
        ConnectTimeout = TimeSpan.FromSeconds(5),
    });

    /// <summary>Long enough for a long <c>process/execute</c> or a followed log; the daemon times out its own work.</summary>
    public ForwarderRequestConfig RequestConfig { get; } = new()
    {
        ActivityTimeout = TimeSpan.FromMinutes(15),
        Version = HttpVersion.Version11,
        VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
    };

    public void Dispose() => Invoker.Dispose();

    /// <summary>
    /// Forwards the request to a sandbox's daemon and streams the answer back untouched (the silo's status-code pages
    /// stay out of it; the body size limit is the daemon's). A request without a body that fails before any answer —
    /// a pooled connection the other side had just closed — is sent once more, as a browser would. Returns a 502
    /// problem when the daemon cannot be reached, or nothing when the answer was forwarded.
    /// </summary>
    public async Task<IResult> ForwardAsync(HttpContext context, string sandboxId, string daemonAddress, HttpTransformer transformer)
    {
        PrepareForForwarding(context);
        var destination = $"http://{daemonAddress}";
        var error = await forwarder.SendAsync(context, destination, Invoker, RequestConfig, transformer);
        if (error == ForwarderError.Request && !context.Response.HasStarted && HasNoBody(context.Request))
        {
            ForgetFailure(context);
            error = await forwarder.SendAsync(context, destination, Invoker, RequestConfig, transformer);
        }

        if (error == ForwarderError.None || context.Response.HasStarted)
        {
            return Results.Empty;
        }

        var reason = context.Features.Get<IForwarderErrorFeature>()?.Exception?.Message ?? error.ToString();
        return Problems.Create(
            StatusCodes.Status502BadGateway,
            SandboxErrorCodes.DaemonUnreachable,
            "Bad gateway",
            $"the daemon of sandbox {sandboxId} at {daemonAddress} did not answer: {reason}");
    }

    /// <summary>
    /// Forwards straight to an app at <paramref name="target"/> (container address and port), skipping the daemon.
    /// Null when the connection was refused before anything was sent or read — the app listens only inside the
    /// sandbox — so the caller can go through the daemon instead; otherwise what to answer.
    /// </summary>
    public async Task<IResult?> TryForwardDirectAsync(HttpContext context, string target, int port, HttpTransformer transformer)
    {
        PrepareForForwarding(context);
        var error = await forwarder.SendAsync(context, $"http://{target}", Invoker, RequestConfig, transformer);
        if (error == ForwarderError.None || context.Response.HasStarted)
        {
            return Results.Empty;
        }

        var failure = context.Features.Get<IForwarderErrorFeature>()?.Exception;
        if (error == ForwarderError.Request && failure is HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError })
        {
            ForgetFailure(context);
            return null;
        }

        // The app took the request and then failed it; sending it again could do its work twice.
        return Problems.Create(
            StatusCodes.Status502BadGateway,
            SandboxErrorCodes.PortUnreachable,
            "Bad gateway",
            $"the app on port {port} failed the request: {failure?.Message ?? error.ToString()}",
            new Dictionary<string, object?> { ["port"] = port });
    }

    /// <summary>True when the request carries no body, so sending it again cannot duplicate anything.</summary>
    public static bool HasNoBody(HttpRequest request) =>
        request.ContentLength is null or 0 && !request.Headers.TransferEncoding.Any(v => v?.Contains("chunked", StringComparison.OrdinalIgnoreCase) == true);

    private static void PrepareForForwarding(HttpContext context)
    {
        if (context.Features.Get<IStatusCodePagesFeature>() is { } statusPages)
        {
            statusPages.Enabled = false;
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodyLimit)
        {
            bodyLimit.MaxRequestBodySize = null;
        }
    }

    private static void ForgetFailure(HttpContext context)
    {
        context.Features.Set<IForwarderErrorFeature>(null);
        context.Response.StatusCode = StatusCodes.Status200OK;
    }

    /// <summary>
    /// Why a sandbox cannot take forwarded traffic: 503 with <c>Retry-After</c> while it is on its way up, 409 when it is
    /// stopped or otherwise not serving (start it first).
    /// </summary>
    public static IResult NotServing(HttpContext context, string id, SandboxState state)
    {
        var name = state.ToString().ToLowerInvariant();
        if (state is SandboxState.Creating or SandboxState.Starting)
        {
            context.Response.Headers.RetryAfter = "1";
            return Problems.ServiceUnavailable(SandboxErrorCodes.SandboxStarting, $"sandbox {id} is {name}; retry in a moment");
        }

        return Problems.Create(StatusCodes.Status409Conflict, SandboxErrorCodes.SandboxNotStarted, "Conflict", $"sandbox {id} is {name}; start it first");
    }
}
