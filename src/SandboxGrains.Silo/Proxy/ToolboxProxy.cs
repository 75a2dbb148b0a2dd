using SandboxGrains.Grains.Routing;
using SandboxGrains.Http;
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
        HttpContext context, string id, IGrainFactory grains, RouteCache routes, ActivitySampler activity, DaemonForwarding forwarding)
    {
        var sandbox = SandboxesApi.SandboxGrain(grains, id);
        var daemon = await routes.GetEndpointAsync(id, sandbox.GetDaemonEndpointAsync);
        if (daemon.State != SandboxState.Started || daemon.Address is null || daemon.Token is null)
        {
            return DaemonForwarding.NotServing(context, id, daemon.State);
        }

        activity.Record(id);
        var rest = RawRequestTarget.After(context, $"/toolbox/{id}");
        return await forwarding.ForwardAsync(context, id, daemon.Address, new ToolboxTransformer(rest, daemon.Token));
    }

    private sealed class ToolboxTransformer(string pathAndQuery, string daemonToken) : HttpTransformer
    {
        public override async ValueTask TransformRequestAsync(
            HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
        {
            await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);
            proxyRequest.RequestUri = RawRequestTarget.Destination(destinationPrefix, pathAndQuery);
            proxyRequest.Headers.Host = null;
            DaemonHeaders.Replace(proxyRequest, daemonToken);
        }
    }
}
