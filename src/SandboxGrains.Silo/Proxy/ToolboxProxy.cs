using Microsoft.AspNetCore.Http.Features;
using SandboxGrains.Silo.Api;
using SandboxGrains.Silo.Sandboxes;
using Yarp.ReverseProxy.Forwarder;

namespace SandboxGrains.Silo.Proxy;

/// <summary>
/// <c>ANY /toolbox/{id}/{**path}</c>: the sandbox's daemon API (Daytona's toolbox), forwarded with YARP. The caller's API
/// key is checked by the route group and never forwarded; the sandbox's daemon secret is added here. Bodies stream both
/// ways and WebSocket upgrades (session logs) pass through.
/// </summary>
internal static class ToolboxProxy
{
    public static IEndpointRouteBuilder MapToolbox(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/toolbox").RequireApiKey().AddEndpointFilter<SandboxErrorFilter>()
            .Map("/{id}/{**path}", ForwardAsync).WithName("Toolbox");
        return app;
    }

    private static async Task<IResult> ForwardAsync(
        HttpContext context, string id, IGrainFactory grains, IHttpForwarder forwarder, DaemonForwarding forwarding)
    {
        var daemon = await SandboxesApi.SandboxGrain(grains, id).GetDaemonEndpointAsync();
        if (daemon.State != SandboxState.Started || daemon.Address is null || daemon.Token is null)
        {
            return NotServing(context, id, daemon.State);
        }

        // The daemon enforces its own upload limit; the silo's default 30 MB would cut big files off first.
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodyLimit)
        {
            bodyLimit.MaxRequestBodySize = null;
        }

        context.Request.Path.StartsWithSegments($"/toolbox/{id}", out var rest);
        var error = await forwarder.SendAsync(
            context, $"http://{daemon.Address}", forwarding.Invoker, forwarding.RequestConfig, new ToolboxTransformer(rest, daemon.Token));
        if (error == ForwarderError.None || context.Response.HasStarted)
        {
            return Results.Empty;
        }

        var reason = context.Features.Get<IForwarderErrorFeature>()?.Exception?.Message ?? error.ToString();
        return Problems.Create(
            StatusCodes.Status502BadGateway,
            SandboxErrorCodes.DaemonUnreachable,
            "Bad gateway",
            $"the daemon of sandbox {id} at {daemon.Address} did not answer: {reason}");
    }

    /// <summary>Why a sandbox cannot take toolbox calls: 503 while it is on its way up (retry), 409 otherwise.</summary>
    internal static IResult NotServing(HttpContext context, string id, SandboxState state)
    {
        var name = state.ToString().ToLowerInvariant();
        if (state is SandboxState.Creating or SandboxState.Starting)
        {
            context.Response.Headers.RetryAfter = "1";
            return Problems.ServiceUnavailable("sandbox_starting", $"sandbox {id} is {name}; retry in a moment");
        }

        return Problems.Create(StatusCodes.Status409Conflict, "sandbox_not_started", "Conflict", $"sandbox {id} is {name}; start it first");
    }

    private sealed class ToolboxTransformer(PathString path, string daemonToken) : HttpTransformer
    {
        public override async ValueTask TransformRequestAsync(
            HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
        {
            await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);
            proxyRequest.RequestUri = RequestUtilities.MakeDestinationAddress(destinationPrefix, path, httpContext.Request.QueryString);
            proxyRequest.Headers.Host = null;
            proxyRequest.Headers.Authorization = null;
            proxyRequest.Headers.Remove("X-API-Key");
            proxyRequest.Headers.Remove(DaemonTokenHeader);
            proxyRequest.Headers.TryAddWithoutValidation(DaemonTokenHeader, daemonToken);
        }
    }

    private const string DaemonTokenHeader = "X-Sandbox-Daemon-Token";
}
