using SandboxGrains.Http;
using SandboxGrains.Http.Http1;
using Yarp.ReverseProxy.Forwarder;

namespace SandboxGrains.Silo.Forwarding;

/// <summary>
/// Turns the caller's request into the target's for YARP (raw path and query, <see cref="HeaderPolicy"/>, daemon
/// secret), and notices when a sandbox's daemon refused to reach an app for a preview, so that refusal is answered in
/// our words rather than passed on.
/// </summary>
internal sealed class ForwardingTransformer(ForwardTarget target) : HttpTransformer
{
    /// <summary>Set when the daemon answered for itself instead of passing on the app's answer.</summary>
    public DaemonRefusal? DaemonRefusal { get; private set; }

    public override async ValueTask TransformRequestAsync(
        HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
    {
        await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);
        proxyRequest.RequestUri = RawRequestTarget.Destination(destinationPrefix, target.PathAndQuery);
        target.Headers.Apply(proxyRequest, target.DaemonSecret);
        if (target.Via is { } relay)
        {
            proxyRequest.Options.Set(Http1Tunnel.RequestOption, relay);
        }
    }

    public override async ValueTask<bool> TransformResponseAsync(
        HttpContext httpContext, HttpResponseMessage? proxyResponse, CancellationToken cancellationToken)
    {
        if (proxyResponse is null || !target.MayBeRefusedByDaemon
            || !proxyResponse.Headers.TryGetValues(DaemonProtocol.ErrorHeader, out var codes))
        {
            return await base.TransformResponseAsync(httpContext, proxyResponse, cancellationToken);
        }

        DaemonRefusal = await DaemonRefusal.ReadAsync(
            codes.FirstOrDefault() ?? "", await proxyResponse.Content.ReadAsStreamAsync(cancellationToken), cancellationToken);
        return false;
    }
}
