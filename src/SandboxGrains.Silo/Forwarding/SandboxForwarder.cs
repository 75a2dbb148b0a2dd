using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.Features;
using SandboxGrains.Http.Http1;
using SandboxGrains.Silo.Telemetry;
using Yarp.ReverseProxy.Forwarder;

namespace SandboxGrains.Silo.Forwarding;

/// <summary>
/// The one forwarder: sends a resolved request to its <see cref="ForwardTarget"/> and turns every failure into an
/// answer through <see cref="ForwardingProblems"/>. Requests with a body or an upgrade go through YARP's
/// <see cref="IHttpForwarder"/>, over <see cref="DuplexHttp1Handler"/> so both bodies stream at once; bodiless ones
/// through <see cref="BodilessExchange"/>, which measured faster. Both share one pool of connections. A client that leaves
/// cuts the request to the app; an app that dies cuts the client's answer.
/// </summary>
internal sealed class SandboxForwarder : IDisposable
{
    /// <summary>Long enough for a long <c>process/execute</c> or a followed log; the daemon times out its own work.</summary>
    private static readonly ForwarderRequestConfig RequestConfig = new()
    {
        ActivityTimeout = BodilessExchange.ActivityTimeout,
        Version = HttpVersion.Version11,
        VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
    };

    private readonly IHttpForwarder _forwarder;
    private readonly InsideOnlyApps _insideOnly;
    private readonly ActivitySampler _activity;
    private readonly Http1ConnectionPool _pool;
    private readonly HttpMessageInvoker _invoker;
    private readonly BodilessExchange _bodiless;
    private readonly RouteCache _routes;
    private readonly ILogger<SandboxForwarder> _logger;

    public SandboxForwarder(
        IHttpForwarder forwarder, InsideOnlyApps insideOnly, ActivitySampler activity, RouteCache routes, TimeProvider time, IOptions<TelemetryOptions> telemetry,
        ILogger<SandboxForwarder> logger)
    {
        _routes = routes;
        _logger = logger;
        _forwarder = forwarder;
        _insideOnly = insideOnly;
        _activity = activity;
        _pool = new Http1ConnectionPool(time, telemetry.Value.Enabled ? ForwardingTelemetry.Traffic : null);
        _invoker = new HttpMessageInvoker(new DuplexHttp1Handler(_pool, ownsPool: false));
        _bodiless = new BodilessExchange(_pool);
    }

    /// <summary>Forwards the request, or answers the resolver's refusal. Empty once an answer was passed on (or cut).</summary>
    public async Task<IResult> ForwardAsync(HttpContext context, Resolution resolution)
    {
        if (resolution.Refusal is { } refusal)
        {
            return refusal;
        }

        var target = resolution.Target!;
        PrepareForForwarding(context);
        _activity.Record(target.SandboxId);
        var forward = ForwardingTelemetry.Start(target);
        IResult? answer = null;
        try
        {
            return answer = await ForwardAsync(context, target);
        }
        finally
        {
            forward.End(context, answer);
        }
    }

    private async Task<IResult> ForwardAsync(HttpContext context, ForwardTarget target)
    {
        var bodiless = BodilessExchange.Takes(context.Request);
        var fellBack = false;
        while (true)
        {
            var (failure, daemonRefusal) = bodiless ? await _bodiless.SendAsync(context, target) ?? default : await SendThroughYarpAsync(context, target);
            if (failure is null && daemonRefusal is null)
            {
                if (fellBack && target.AppPort is { } port)
                {
                    _insideOnly.Learn(target.SandboxId, port);
                }

                return Results.Empty;
            }

            if (target.Fallback is { } fallback && NothingListens(failure))
            {
                ForgetFailure(context);
                target = fallback;
                fellBack = true;
                continue;
            }

            if (failure?.InnerException is Http1TunnelException relay)
            {
                // The route may be what is stale (the sandbox stopped or moved): the next request resolves it afresh.
                _routes.ForgetSandbox(target.SandboxId);
                // A setting that differs needs a person; a silo restarting shows as its runner's status, and would log every request.
                _logger.Log(
                    relay.Retryable ? LogLevel.Debug : LogLevel.Warning,
                    "Forwarding to sandbox {SandboxId} through its runner's relay failed: {Reason}",
                    target.SandboxId,
                    failure.Message);
            }

            return ForwardingProblems.Failed(context, target, failure, daemonRefusal);
        }
    }

    /// <summary>YARP's lane: null failure once the answer was passed on (or cut after it started).</summary>
    private async Task<(Exception? Failure, DaemonRefusal? Refusal)> SendThroughYarpAsync(HttpContext context, ForwardTarget target)
    {
        var transformer = new ForwardingTransformer(target);

        // An upgraded connection (a WebSocket) keeps its sandbox active for as long as it stays open.
        using var open = context.Request.Headers.Upgrade.Count > 0 ? _activity.Open(target.SandboxId) : null;
        var error = await _forwarder.SendAsync(context, $"http://{target.Address}", _invoker, RequestConfig, transformer);
        if (context.Response.HasStarted || (error == ForwarderError.None && transformer.DaemonRefusal is null))
        {
            return (null, null);
        }

        return (error == ForwarderError.None ? null : context.Features.Get<IForwarderErrorFeature>()?.Exception ?? new HttpRequestException(error.ToString()),
            transformer.DaemonRefusal);
    }

    /// <summary>The connection was refused before anything was sent: nothing listens at the target's address.</summary>
    private static bool NothingListens(Exception? failure) =>
        failure is HttpRequestException
        {
            HttpRequestError: HttpRequestError.ConnectionError, InnerException: SocketException { SocketErrorCode: SocketError.ConnectionRefused },
        };

    /// <summary>Our answers stay ours (no status-code pages over an app's 404); the body limit is the next hop's to enforce.</summary>
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

    public void Dispose()
    {
        _invoker.Dispose();
        _pool.Dispose();
    }
}
