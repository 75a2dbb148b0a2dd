using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using SandboxGrains.Bench.Ceiling;

// dotnet SandboxGrains.Bench.Ceiling.dll relay|forward <port> <app ip:port>
// What this platform can do on this machine with none of the product's code, for the bench's ceiling suite to set
// beside a preview link and nginx. Socket continuations run inline on the epoll threads when the process is started
// with DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1 (and then Kestrel's too); otherwise on the thread pool, as in the
// silo. Neither is a proxy to deploy: no header policy, no error answers, no framing but Content-Length.
if (args is not [var mode and ("relay" or "forward"), var portText, var appText]
    || !int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var port)
    || !IPEndPoint.TryParse(appText, out var app))
{
    await Console.Error.WriteLineAsync("usage: SandboxGrains.Bench.Ceiling relay|forward <port> <app ip:port>");
    return 2;
}

if (mode == "relay")
{
    await Relay.RunAsync(port, app);
}
else
{
    await KestrelForward.RunAsync(port, app, Environment.GetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS") == "1");
}

return 0;

namespace SandboxGrains.Bench.Ceiling
{
    /// <summary>A TCP relay: one app connection per client connection, bytes copied both ways, no HTTP at all — the floor of any proxy's cost.</summary>
    internal static class Relay
    {
        public static async Task RunAsync(int port, IPEndPoint app)
        {
            using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            listener.Bind(new IPEndPoint(IPAddress.Loopback, port));
            listener.Listen(512);
            while (true)
            {
                _ = ServeAsync(await listener.AcceptAsync(), app);
            }
        }

        private static async Task ServeAsync(Socket client, IPEndPoint app)
        {
            using var upstream = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            using (client)
            {
                client.NoDelay = true;
                try
                {
                    await upstream.ConnectAsync(app);
                    await Task.WhenAny(CopyAsync(client, upstream), CopyAsync(upstream, client));
                }
                catch (SocketException)
                {
                }
            }
        }

        private static async Task CopyAsync(Socket from, Socket to)
        {
            var buffer = new byte[16 * 1024];
            try
            {
                int read;
                while ((read = await from.ReceiveAsync(buffer, SocketFlags.None)) > 0)
                {
                    await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None);
                }
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
            }
        }
    }

    /// <summary>
    /// Kestrel parses each request; a pooled kept-alive socket carries it to the app as HTTP/1.1; the answer goes back
    /// through Kestrel's response. The least work any HTTP forwarder hosted in Kestrel does per request.
    /// </summary>
    internal static class KestrelForward
    {
        public static async Task RunAsync(int port, IPEndPoint app, bool inline)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.UseSockets(sockets => sockets.UnsafePreferInlineScheduling = inline);
            builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port));
            var web = builder.Build();
            var idle = new ConcurrentStack<AppConnection>();
            web.Run(async context =>
            {
                if (!idle.TryPop(out var connection))
                {
                    connection = await AppConnection.OpenAsync(app);
                }

                await connection.ForwardAsync(context);
                idle.Push(connection);
            });
            await web.RunAsync();
        }

        private sealed class AppConnection(Socket socket)
        {
            private readonly byte[] _buffer = new byte[16 * 1024];

            public static async Task<AppConnection> OpenAsync(IPEndPoint app)
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                await socket.ConnectAsync(app);
                return new AppConnection(socket);
            }

            public async Task ForwardAsync(HttpContext context)
            {
                var request = context.Request;
                await socket.SendAsync(Encoding.Latin1.GetBytes($"{request.Method} {request.Path}{request.QueryString} HTTP/1.1\r\nHost: {request.Host}\r\n\r\n"), SocketFlags.None);
                int filled = 0, headEnd;
                while ((headEnd = _buffer.AsSpan(0, filled).IndexOf("\r\n\r\n"u8)) < 0)
                {
                    filled += await ReceiveAsync(filled);
                }

                var lines = Encoding.Latin1.GetString(_buffer, 0, headEnd).Split("\r\n");
                var response = context.Response;
                response.StatusCode = int.Parse(lines[0].Split(' ')[1], CultureInfo.InvariantCulture);
                var length = -1;
                foreach (var line in lines.AsSpan(1))
                {
                    var colon = line.IndexOf(':', StringComparison.Ordinal);
                    var name = line[..colon];
                    var value = line[(colon + 1)..].Trim();
                    if (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
                    {
                        length = int.Parse(value, CultureInfo.InvariantCulture);
                    }
                    else if (!name.Equals("Connection", StringComparison.OrdinalIgnoreCase) && !name.Equals("Keep-Alive", StringComparison.OrdinalIgnoreCase))
                    {
                        response.Headers.Append(name, value);
                    }
                }

                if (length < 0 || headEnd + 4 + length > _buffer.Length)
                {
                    throw new NotSupportedException("the ceiling forward takes only small answers framed by Content-Length");
                }

                while (filled < headEnd + 4 + length)
                {
                    filled += await ReceiveAsync(filled);
                }

                response.ContentLength = length;
                await response.Body.WriteAsync(_buffer.AsMemory(headEnd + 4, length));
            }

            private async Task<int> ReceiveAsync(int filled)
            {
                var read = await socket.ReceiveAsync(_buffer.AsMemory(filled), SocketFlags.None);
                return read > 0 ? read : throw new IOException("the app closed the connection");
            }
        }
    }
}
