using System.Net.Sockets;

namespace SandboxGrains.Http.Http1;

/// <summary>
/// A server reached through another: connections go to <see cref="Host"/>:<see cref="Port"/>, and
/// <see cref="OpenAsync"/> asks that server to carry the connection's bytes on to the real endpoint, after which the
/// connection is used as if it went there directly (kept alive, pooled, upgraded). How the far end is asked is the
/// tunnel's own business; the pool only connects, opens and keeps connections through different tunnels apart.
/// </summary>
internal abstract class Http1Tunnel(string host, int port)
{
    /// <summary>Where a request carries its tunnel through <see cref="DuplexHttp1Handler"/>.</summary>
    public static readonly HttpRequestOptionsKey<Http1Tunnel> RequestOption = new("sandboxgrains.http1-tunnel");

    public string Host { get; } = host;

    public int Port { get; } = port;

    /// <summary>Keeps pooled connections apart: the same endpoint reached straight and through a tunnel are different connections.</summary>
    public abstract string Name { get; }

    /// <summary>
    /// Turns <paramref name="socket"/>, just connected to the tunnel's server, into a byte stream to
    /// <paramref name="endpoint"/>, reading nothing past the server's answer. When the far end says nothing listens at
    /// <paramref name="endpoint"/>, throws a <see cref="SocketException"/> with <see cref="SocketError.ConnectionRefused"/>
    /// (what a direct connect would have met); any other refusal is an <see cref="Http1TunnelException"/>.
    /// </summary>
    public abstract ValueTask OpenAsync(Socket socket, string endpoint, CancellationToken cancellationToken);
}

/// <summary>The tunnel itself failed: its server could not be reached, or refused to carry the connection.</summary>
/// <param name="message">Why, without any credential the tunnel carries.</param>
/// <param name="retryable">True when trying again shortly may work (the server is restarting, the cluster is changing).</param>
/// <param name="inner">What the failure came from, if anything.</param>
internal sealed class Http1TunnelException(string message, bool retryable, Exception? inner = null) : Exception(message, inner)
{
    public bool Retryable { get; } = retryable;
}
