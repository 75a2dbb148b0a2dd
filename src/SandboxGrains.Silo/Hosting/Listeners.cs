using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using SandboxGrains.Http.Http1;
using SandboxGrains.Silo.Forwarding.Relay;

namespace SandboxGrains.Silo.Hosting;

/// <summary>
/// Every address this silo listens on, set in one place: the API's (<c>urls</c>), and beside it Orleans' dashboard's
/// (<c>OrleansDashboard:Url</c>) and the runner's relay (<c>Silo:InternalUrls</c>) when they are on. Each of those two
/// serves nothing but itself on its port (see <see cref="OrleansDashboardHosting"/>, <see cref="RunnerRelay"/>).
/// </summary>
internal static class Listeners
{
    public const string DefaultApiUrl = "http://localhost:5080";

    /// <summary>The API's addresses as configured (<c>Urls</c>, or <c>--urls</c>).</summary>
    public static string[] ApiUrls(IConfiguration configuration) =>
        (configuration["urls"] ?? DefaultApiUrl).Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>A listener address as a URI; Kestrel's wildcard hosts (<c>*</c>, <c>+</c>) read as 0.0.0.0. Null when it is none.</summary>
    public static Uri? Parse(string url) =>
        Uri.TryCreate(url.Replace("://*:", "://0.0.0.0:", StringComparison.Ordinal).Replace("://+:", "://0.0.0.0:", StringComparison.Ordinal), UriKind.Absolute, out var uri)
            ? uri
            : null;

    /// <summary>True when a listener address only takes connections from this machine (<c>localhost</c>, 127.0.0.0/8, <c>::1</c>).</summary>
    public static bool IsLoopback(string url) => Parse(url) is { } uri
        && (uri.IsLoopback || (System.Net.IPAddress.TryParse(uri.Host.Trim('[', ']'), out var address) && System.Net.IPAddress.IsLoopback(address)));

    public static WebApplicationBuilder AddListeners(this WebApplicationBuilder builder)
    {
        var configuration = builder.Configuration;

        // UseUrls below rewrites "urls" to hold every listener; what the API alone listens on is kept for the checks.
        builder.Services.AddSingleton(new ApiListener(ApiUrls(configuration)));
        List<string> extra = [.. RelayOptions.Read(configuration).ListenUrls.Select(u => u.ToString().TrimEnd('/'))];
        if (OrleansDashboardHosting.ListenUrl(configuration) is { } dashboard)
        {
            extra.Add(dashboard);
        }

        if (extra.Count > 0)
        {
            builder.WebHost.UseUrls([.. ApiUrls(configuration), .. extra]);
        }

        // The relay's connections cross hosts and may idle for hours (a WebSocket): keep-alive probes, inherited by every
        // accepted socket, close those whose peer vanished with its host.
        var relayPorts = RelayOptions.Read(configuration).ListenUrls.Select(url => url.Port).ToHashSet();
        if (relayPorts.Count > 0)
        {
            builder.WebHost.UseSockets(sockets => sockets.CreateBoundListenSocket = endpoint =>
            {
                var socket = SocketTransportOptions.CreateDefaultBoundListenSocket(endpoint);
                if (endpoint is IPEndPoint { Port: var port } && relayPorts.Contains(port))
                {
                    Http1ConnectionPool.KeepAlive(socket);
                }

                return socket;
            });
        }

        return builder;
    }
}

/// <summary>The addresses the API listens on, as configured before the other listeners were added to them.</summary>
internal sealed record ApiListener(string[] Urls)
{
    public IEnumerable<int> Ports => Urls.Select(url => Listeners.Parse(url)?.Port ?? -1);
}
