using System.Diagnostics;
using System.Net;
using Yarp.ReverseProxy.Forwarder;

namespace SandboxGrains.Silo.Proxy;

/// <summary>
/// The one outbound connection pool and request settings every forward to a sandbox daemon uses (toolbox now, previews
/// next): no proxy, no redirects, no decompression, no cookies; HTTP/1.1, which carries WebSocket upgrades.
/// </summary>
internal sealed class DaemonForwarding : IDisposable
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
}
