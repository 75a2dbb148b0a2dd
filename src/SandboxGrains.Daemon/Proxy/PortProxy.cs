using System.Diagnostics;
using System.Globalization;
using System.Net;
using SandboxGrains.Daemon.Http;
using SandboxGrains.Http;
using SandboxGrains.Http.Http1;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Transforms;

namespace SandboxGrains.Daemon.Proxy;

/// <summary><c>ANY /proxy/{port}/{**path}</c>: forwards HTTP and WebSocket traffic to <c>127.0.0.1:{port}</c> inside the sandbox.</summary>
internal static class PortProxy
{
    // Full duplex HTTP/1.1 (see DuplexHttp1Handler for why not SocketsHttpHandler); pooled connections are dropped after
    // 4 s idle, below the 5 s keep-alive of Node's HTTP server (Vite, Next.js dev), so a request never dies on a
    // connection the app is about to close (Daytona's stale-connection 400s).
    private static readonly HttpMessageInvoker Invoker = new(new DuplexHttp1Handler());

    private static readonly ForwarderRequestConfig RequestConfig = new()
    {
        ActivityTimeout = TimeSpan.FromMinutes(10),
        Version = HttpVersion.Version11,
        VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
    };

    public static void MapPortProxy(this IEndpointRouteBuilder app)
    {
        app.Map("/proxy/{port}/{**path}", ForwardAsync);
    }

    private static async Task ForwardAsync(HttpContext context, string port, IHttpForwarder forwarder, DaemonOptions options)
    {
        if (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number is < 1 or > 65535)
        {
            throw DaemonError.BadRequest($"port '{port}' must be a number from 1 to 65535", DaemonProtocol.Errors.InvalidPort);
        }

        if (number == options.Port)
        {
            throw new DaemonError(403, DaemonProtocol.Errors.PortForbidden, $"port {number} is the daemon's own port and cannot be proxied");
        }

        // Keep the path and query exactly as the client escaped them: the route value is already decoded.
        var rest = RawRequestTarget.After(context, $"/proxy/{port}");
        var error = await forwarder.SendAsync(context, $"http://127.0.0.1:{number}", Invoker, RequestConfig, new PathTransformer(rest));
        if (error != ForwarderError.None && !context.Response.HasStarted)
        {
            // Only a refused or timed-out connection means nothing listens; an app that took the request and answered
            // with something that is not HTTP must not be reported as absent.
            var failure = context.GetForwarderErrorFeature()?.Exception;
            var notListening = failure is HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError };
            var (code, message) = notListening
                ? (DaemonProtocol.Errors.PortUnreachable, $"nothing is listening on port {number} in this sandbox ({failure?.Message})")
                : (DaemonProtocol.Errors.AppFailed, $"the app on port {number} failed the request: {failure?.Message ?? error.ToString()}");
            await DaemonPipeline.WriteErrorAsync(context, StatusCodes.Status502BadGateway, code, message);
        }
    }

    private sealed class PathTransformer(string pathAndQuery) : HttpTransformer
    {
        public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
        {
            await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);
            proxyRequest.RequestUri = RawRequestTarget.Destination(destinationPrefix, pathAndQuery);

            // The app sees the Host its caller chose: the preview front end passes the browser's, or localhost:{port}
            // for dev servers that check it.
            proxyRequest.Headers.Host = httpContext.Request.Host.HasValue ? httpContext.Request.Host.Value : null;
            Debug.Assert(!proxyRequest.Headers.Contains(DaemonProtocol.SecretHeader));
        }
    }
}
