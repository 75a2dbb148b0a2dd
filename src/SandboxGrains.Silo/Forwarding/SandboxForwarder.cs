using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.Features;
using SandboxGrains.Http.Http1;
using Yarp.ReverseProxy.Forwarder;

namespace SandboxGrains.Silo.Forwarding;

/// <summary>
/// The one forwarder: sends a resolved request to its <see cref="ForwardTarget"/> with YARP's <see cref="IHttpForwarder"/>
/// over one shared connection pool, streaming both bodies at once (<see cref="DuplexHttp1Handler"/>), and turns every
/// failure into an answer through <see cref="ForwardingProblems"/>. A client that leaves cuts the request to the app; an
/// app that dies cuts the client's answer.
/// </summary>
internal sealed class SandboxForwarder(IHttpForwarder forwarder, InsideOnlyApps insideOnly, ActivitySampler activity) : IDisposable
{
    private readonly HttpMessageInvoker _invoker = new(new DuplexHttp1Handler());

    /// <summary>Long enough for a long <c>process/execute</c> or a followed log; the daemon times out its own work.</summary>
    private static readonly ForwarderRequestConfig RequestConfig = new()
    {
        ActivityTimeout = TimeSpan.FromMinutes(15),
        Version = HttpVersion.Version11,
        VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
    };

    /// <summary>Forwards the request, or answers the resolver's refusal. Empty once an answer was passed on (or cut).</summary>
    public async Task<IResult> ForwardAsync(HttpContext context, Resolution resolution)
    {
        if (resolution.Refusal is { } refusal)
        {
            return refusal;
        }

        var target = resolution.Target!;
        PrepareForForwarding(context);
        activity.Record(target.SandboxId);
        var fellBack = false;
        while (true)
        {
            var transformer = new ForwardingTransformer(target);
            var error = await forwarder.SendAsync(context, $"http://{target.Address}", _invoker, RequestConfig, transformer);
            if (context.Response.HasStarted || (error == ForwarderError.None && transformer.DaemonRefusal is null))
            {
                if (fellBack && target.AppPort is { } port)
                {
                    insideOnly.Learn(target.SandboxId, port);
                }

                return Results.Empty;
            }

            if (target.Fallback is { } fallback && NothingListens(context))
            {
                ForgetFailure(context);
                target = fallback;
                fellBack = true;
                continue;
            }

            return ForwardingProblems.Failed(context, target, error, transformer.DaemonRefusal);
        }
    }

    /// <summary>The connection was refused before anything was sent: nothing listens at the target's address.</summary>
    private static bool NothingListens(HttpContext context) =>
        context.Features.Get<IForwarderErrorFeature>()?.Exception is HttpRequestException
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

    public void Dispose() => _invoker.Dispose();
}
