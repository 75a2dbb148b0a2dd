using System.Text.Json;
using SandboxGrains.Http;
using Yarp.ReverseProxy.Forwarder;

namespace SandboxGrains.Silo.Forwarding;

/// <summary>
/// Turns the caller's request into the target's (raw path and query, <see cref="HeaderPolicy"/>, daemon secret), and
/// notices when a sandbox's daemon refused to reach an app for a preview, so that refusal is answered in our words
/// rather than passed on.
/// </summary>
internal sealed class ForwardingTransformer(ForwardTarget target) : HttpTransformer
{
    /// <summary>Set when the daemon answered for itself instead of passing on the app's answer: its code and message.</summary>
    public (string Code, string? Message)? DaemonRefusal { get; private set; }

    public override async ValueTask TransformRequestAsync(
        HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
    {
        await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);
        proxyRequest.RequestUri = RawRequestTarget.Destination(destinationPrefix, target.PathAndQuery);
        target.Headers.Apply(proxyRequest, target.DaemonSecret);
    }

    public override async ValueTask<bool> TransformResponseAsync(
        HttpContext httpContext, HttpResponseMessage? proxyResponse, CancellationToken cancellationToken)
    {
        // Only a preview through the daemon's /proxy: on the toolbox the daemon's own errors are its API's answers.
        if (target is not { ThroughDaemon: true, AppPort: not null }
            || proxyResponse?.Headers.TryGetValues(DaemonProtocol.ErrorHeader, out var codes) != true)
        {
            return await base.TransformResponseAsync(httpContext, proxyResponse, cancellationToken);
        }

        DaemonRefusal = (codes?.FirstOrDefault() ?? "", await MessageAsync(proxyResponse!, cancellationToken));
        return false;
    }

    /// <summary>The <c>message</c> of an error the daemon answered itself (a few hundred bytes of JSON); null if unreadable.</summary>
    private static async Task<string?> MessageAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
            return body.RootElement.TryGetProperty("message", out var message) ? message.GetString() : null;
        }
        catch (Exception e) when (e is JsonException or IOException or HttpRequestException)
        {
            return null;
        }
    }
}
