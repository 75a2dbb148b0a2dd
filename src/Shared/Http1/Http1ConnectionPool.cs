using System.Collections.Concurrent;
using System.Net.Sockets;

namespace SandboxGrains.Http.Http1;

/// <summary>
/// Kept-alive connections per endpoint (<c>host:port</c>, and the tunnel if any), most recently used first. An idle connection is dropped after
/// <see cref="IdleLifetime"/> and checked before it is reused, so a request rarely meets a connection the server has
/// just closed.
/// </summary>
internal sealed class Http1ConnectionPool : IDisposable
{
    /// <summary>Below the 5 s keep-alive of Node's HTTP server (Vite, Next.js): we drop a pooled connection before the app does.</summary>
    public static readonly TimeSpan IdleLifetime = TimeSpan.FromSeconds(4);

    /// <summary>How long a connect may take; a sandbox on this host or the next answers in well under a millisecond.</summary>
    public static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long a connect through a tunnel may take: longer than <see cref="ConnectTimeout"/>, which the tunnel's far end
    /// spends on its own connect, so its verdict (nothing listens, no answer) arrives before we give up on it.
    /// </summary>
    public static readonly TimeSpan TunnelConnectTimeout = ConnectTimeout + TimeSpan.FromSeconds(2);

    private const int MaxIdlePerEndpoint = 64;

    private readonly ConcurrentDictionary<string, ConcurrentStack<Http1Connection>> _idle = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly ITimer _sweep;

    public Http1ConnectionPool(TimeProvider time, Http1Traffic? traffic = null)
    {
        _time = time;
        Traffic = traffic;
        _sweep = time.CreateTimer(_ => Sweep(), null, IdleLifetime, IdleLifetime);
    }

    /// <summary>Where its connections count their bytes, if anywhere.</summary>
    public Http1Traffic? Traffic { get; }

    /// <summary>
    /// A kept-alive connection to <paramref name="host"/>:<paramref name="port"/> (<paramref name="endpoint"/>: the two as
    /// one <c>host:port</c> string), straight or through <paramref name="tunnel"/>, or a new one. A refused or failed
    /// connect is an <see cref="HttpRequestException"/> with <see cref="HttpRequestError.ConnectionError"/> and the
    /// <see cref="SocketException"/> inside, before anything of the request was sent; a tunnel that fails has an
    /// <see cref="Http1TunnelException"/> inside instead.
    /// </summary>
    public async ValueTask<Http1Connection> RentAsync(string endpoint, string host, int port, Http1Tunnel? tunnel, CancellationToken cancellationToken)
    {
        var key = tunnel is null ? endpoint : $"{endpoint} via {tunnel.Name}";
        if (_idle.TryGetValue(key, out var stack))
        {
            var now = _time.GetUtcNow();
            while (stack.TryPop(out var idle))
            {
                if (now - idle.IdleSince < IdleLifetime && idle.LooksOpen())
                {
                    return idle;
                }

                idle.Discard();
            }
        }

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        if (tunnel is not null)
        {
            // A tunnel crosses hosts: a peer that vanished (a host down, a partition) must not hold it open for ever.
            KeepAlive(socket);
        }

        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(tunnel is null ? ConnectTimeout : TunnelConnectTimeout);
            if (tunnel is null)
            {
                await socket.ConnectAsync(host, port, timeout.Token).ConfigureAwait(false);
            }
            else
            {
                await ConnectThroughAsync(socket, tunnel, endpoint, timeout.Token).ConfigureAwait(false);
            }

            return new Http1Connection(socket, this, key);
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new HttpRequestException(HttpRequestError.ConnectionError, $"could not connect to {endpoint}: {e.Message}", e);
        }
        catch (Http1TunnelException e)
        {
            socket.Dispose();
            throw new HttpRequestException(HttpRequestError.ConnectionError, $"could not reach {endpoint} through {tunnel!.Name}: {e.Message}", e);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            socket.Dispose();
            var within = $"within {(tunnel is null ? ConnectTimeout : TunnelConnectTimeout).TotalSeconds:0} s";
            throw tunnel is null
                ? new HttpRequestException(HttpRequestError.ConnectionError, $"could not connect to {endpoint} {within}")
                : new HttpRequestException(
                    HttpRequestError.ConnectionError, $"could not reach {endpoint} through {tunnel.Name} {within}", new Http1TunnelException($"no answer {within}", retryable: true));
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>TCP keep-alive probes after 30 s of silence, every 10 s, three unanswered ones close the connection.</summary>
    public static void KeepAlive(Socket socket)
    {
        socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
        socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime, 30);
        socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveInterval, 10);
        socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveRetryCount, 3);
    }

    /// <summary>A connect to the tunnel's server that fails is the tunnel's failure, not the endpoint's (which may be up).</summary>
    private static async ValueTask ConnectThroughAsync(Socket socket, Http1Tunnel tunnel, string endpoint, CancellationToken cancellationToken)
    {
        try
        {
            await socket.ConnectAsync(tunnel.Host, tunnel.Port, cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException e)
        {
            throw new Http1TunnelException($"could not connect to {tunnel.Host}:{tunnel.Port}: {e.Message}", retryable: true, e);
        }

        await tunnel.OpenAsync(socket, endpoint, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Takes back a connection that finished an exchange cleanly.</summary>
    public void Return(Http1Connection connection)
    {
        var stack = _idle.GetOrAdd(connection.Endpoint, _ => new ConcurrentStack<Http1Connection>());
        if (stack.Count >= MaxIdlePerEndpoint)
        {
            connection.Discard();
            return;
        }

        connection.Reused = true;
        connection.IdleSince = _time.GetUtcNow();
        stack.Push(connection);
    }

    /// <summary>Closes connections nobody used within their lifetime, and forgets endpoints with none left (deleted sandboxes).</summary>
    private void Sweep()
    {
        var now = _time.GetUtcNow();
        foreach (var (endpoint, stack) in _idle)
        {
            var kept = new List<Http1Connection>();
            while (stack.TryPop(out var connection))
            {
                if (now - connection.IdleSince < IdleLifetime)
                {
                    kept.Add(connection);
                }
                else
                {
                    connection.Discard();
                }
            }

            if (kept.Count == 0 && _idle.TryRemove(new KeyValuePair<string, ConcurrentStack<Http1Connection>>(endpoint, stack)))
            {
                // A connection returned while the endpoint was being forgotten would never be found again.
                while (stack.TryPop(out var late))
                {
                    late.Discard();
                }
            }

            // Oldest first back in, so the most recently used stays on top.
            for (var i = kept.Count - 1; i >= 0; i--)
            {
                stack.Push(kept[i]);
            }
        }
    }

    public void Dispose()
    {
        _sweep.Dispose();
        foreach (var stack in _idle.Values)
        {
            while (stack.TryPop(out var connection))
            {
                connection.Discard();
            }
        }
    }
}
