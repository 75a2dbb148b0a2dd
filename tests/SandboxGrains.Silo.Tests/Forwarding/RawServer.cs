using System.Net;
using System.Net.Sockets;
using System.Text;

namespace SandboxGrains.Silo.Tests.Forwarding;

/// <summary>
/// A loopback TCP server that answers each connection with a script, for the answers Kestrel never gives (a body until
/// close, trailers, broken heads, a dropped connection). Counts its connections.
/// </summary>
internal sealed class RawServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private int _connections;

    public RawServer(Func<RawConnection, Task> script)
    {
        _listener.Start();
        _accepting = AcceptAsync(script);
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public int Connections => Volatile.Read(ref _connections);

    private async Task AcceptAsync(Func<RawConnection, Task> script)
    {
        try
        {
            while (true)
            {
                var socket = await _listener.AcceptSocketAsync(_stop.Token);
                Interlocked.Increment(ref _connections);
                _ = Task.Run(async () =>
                {
                    using var connection = new RawConnection(socket);
                    try
                    {
                        await script(connection);
                    }
                    catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
                    {
                    }
                });
            }
        }
        catch (Exception e) when (_stop.IsCancellationRequested && e is OperationCanceledException or SocketException)
        {
            // Cancelling a pending accept surfaces as either, depending on which completes first.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _accepting;
        _listener.Stop();
        _stop.Dispose();
    }
}

/// <summary>One accepted connection: read request heads, write raw bytes.</summary>
internal sealed class RawConnection(Socket socket) : IDisposable
{
    private readonly NetworkStream _stream = new(socket, ownsSocket: true);
    private readonly MemoryStream _pending = new();

    public Socket Socket => socket;

    /// <summary>The next request's head (without the blank line), or null when the client closed the connection.</summary>
    public async Task<string?> ReadHeadAsync()
    {
        var buffer = new byte[4096];
        while (true)
        {
            var text = Encoding.Latin1.GetString(_pending.GetBuffer(), 0, (int)_pending.Length);
            var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            if (end >= 0)
            {
                var rest = _pending.ToArray()[(end + 4)..];
                _pending.SetLength(0);
                _pending.Write(rest);
                return text[..end];
            }

            var read = await _stream.ReadAsync(buffer);
            if (read == 0)
            {
                return null;
            }

            _pending.Write(buffer, 0, read);
        }
    }

    /// <summary>Reads exactly <paramref name="count"/> body bytes (what came with the head first).</summary>
    public async Task<byte[]> ReadBodyAsync(int count)
    {
        var body = new byte[count];
        var have = (int)Math.Min(count, _pending.Length);
        _pending.ToArray().AsSpan(0, have).CopyTo(body);
        var rest = _pending.ToArray()[have..];
        _pending.SetLength(0);
        _pending.Write(rest);
        await _stream.ReadExactlyAsync(body.AsMemory(have));
        return body;
    }

    public Task WriteAsync(string text) => _stream.WriteAsync(Encoding.Latin1.GetBytes(text)).AsTask();

    public Task WriteAsync(byte[] bytes) => _stream.WriteAsync(bytes).AsTask();

    public ValueTask<int> ReadAsync(Memory<byte> buffer) => _stream.ReadAsync(buffer);

    public void Dispose() => _stream.Dispose();
}
