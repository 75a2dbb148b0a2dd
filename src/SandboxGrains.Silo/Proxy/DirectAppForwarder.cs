using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using SandboxGrains.Silo.Api;

namespace SandboxGrains.Silo.Proxy;

/// <summary>
/// Forwards a request that has no body and asks for no protocol switch — a page, an asset, an API read: most of what
/// a preview link carries — straight to an app's address over HTTP/1.1 written and read here, with a small pool of
/// kept-alive connections per app. YARP's forwarder builds an <see cref="HttpRequestMessage"/>, copies every header
/// into it and back out, and goes through HttpClient's handler stack; on a small response that was most of a preview
/// request's cost (docs/benchmarks.md). Requests with bodies, WebSocket upgrades and the hop through the daemon stay with
/// YARP (<see cref="DaemonForwarding"/>), whose body streaming and upgrade handling this does not repeat.
/// </summary>
internal sealed class DirectAppForwarder : IDisposable
{
    /// <summary>Below the 5 s keep-alive of Node's HTTP server (Vite, Next.js): we drop a pooled connection before the app does.</summary>
    private static readonly TimeSpan IdleLifetime = TimeSpan.FromSeconds(4);

    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Longest silence from the app while it answers, as for every forward (<see cref="DaemonForwarding.RequestConfig"/>).</summary>
    private static readonly TimeSpan ActivityTimeout = TimeSpan.FromMinutes(15);

    private const int MaxHeadBytes = 64 * 1024;
    private const int MaxIdlePerApp = 64;

    private readonly ConcurrentDictionary<string, ConcurrentStack<AppConnection>> _idle = new(StringComparer.Ordinal);
    private readonly Timer _sweep;
    private readonly TimeProvider _time;

    public DirectAppForwarder(TimeProvider time)
    {
        _time = time;
        _sweep = new Timer(_ => Sweep(), null, IdleLifetime, IdleLifetime);
    }

    /// <summary>True for requests this forwarder takes: no body (so a retry on a fresh connection repeats nothing) and no upgrade.</summary>
    public static bool Takes(HttpRequest request) =>
        DaemonForwarding.HasNoBody(request) && !request.Headers.Upgrade.Any(v => !string.IsNullOrEmpty(v)) && !HttpMethods.IsConnect(request.Method);

    /// <summary>
    /// Sends the request to <paramref name="host"/>:<paramref name="port"/> with exactly <paramref name="headers"/> (the
    /// caller's policy; <c>Host</c> included) and streams the answer back. Null when the app refused the connection before
    /// anything was sent (it listens only inside the sandbox), so the caller can go through the daemon; otherwise what to
    /// answer (empty once the app's answer was forwarded).
    /// </summary>
    public async Task<IResult?> ForwardAsync(
        HttpContext context, string host, int port, string pathAndQuery, IEnumerable<KeyValuePair<string, string>> headers)
    {
        var head = RequestHead(context.Request.Method, pathAndQuery, headers);
        var key = $"{host}:{port}";
        using var activity = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        activity.CancelAfter(ActivityTimeout);
        for (var attempt = 0; ; attempt++)
        {
            var connection = TakeIdle(key);
            var pooled = connection is not null;
            if (connection is null)
            {
                try
                {
                    connection = await AppConnection.OpenAsync(host, port, activity.Token);
                }
                catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused)
                {
                    return null;
                }
                catch (Exception e) when (e is SocketException or OperationCanceledException && !context.RequestAborted.IsCancellationRequested)
                {
                    return Unreachable(port, $"could not connect to {key}: {e.Message}");
                }
            }

            ResponseHead? response;
            try
            {
                await connection.WriteAsync(head, activity.Token);
                response = await connection.ReadHeadAsync(activity.Token);
            }
            catch (Exception e) when (e is IOException or SocketException && pooled && attempt == 0)
            {
                // A kept-alive connection the app had just closed; the request had no body, so send it once more.
                connection.Dispose();
                continue;
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException && !context.RequestAborted.IsCancellationRequested)
            {
                connection.Dispose();
                return Unreachable(port, e is OperationCanceledException ? $"no answer within {ActivityTimeout.TotalMinutes:0} minutes" : e.Message);
            }
            catch
            {
                connection.Dispose();
                throw;
            }

            if (response is null)
            {
                connection.Dispose();
                if (pooled && attempt == 0)
                {
                    continue;
                }

                return Unreachable(port, "the app closed the connection without answering");
            }

            if (response.Error is { } malformed)
            {
                connection.Dispose();
                return Unreachable(port, malformed);
            }

            bool reusable;
            try
            {
                reusable = await CopyResponseAsync(context, connection, response, () => activity.CancelAfter(ActivityTimeout), activity.Token);
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or InvalidDataException or InvalidOperationException)
            {
                // InvalidOperationException: Kestrel refused one of the app's headers (a control character in its value).
                connection.Dispose();
                if (!context.Response.HasStarted && !context.RequestAborted.IsCancellationRequested)
                {
                    context.Response.Clear();
                    return Unreachable(port, e.Message);
                }

                // The answer started and broke off (or the browser left): there is no clean way to tell the browser but to cut it.
                context.Abort();
                return Results.Empty;
            }

            if (reusable)
            {
                ReturnIdle(key, connection);
            }
            else
            {
                connection.Dispose();
            }

            return Results.Empty;
        }
    }

    private static IResult Unreachable(int port, string reason) =>
        Problems.Create(
            StatusCodes.Status502BadGateway,
            SandboxErrorCodes.PortUnreachable,
            "Bad gateway",
            $"the app on port {port} failed the request: {reason}",
            new Dictionary<string, object?> { ["port"] = port });

    private static byte[] RequestHead(string method, string pathAndQuery, IEnumerable<KeyValuePair<string, string>> headers)
    {
        var text = new StringBuilder(512).Append(method).Append(' ').Append(pathAndQuery).Append(" HTTP/1.1\r\n");
        foreach (var (name, value) in headers)
        {
            text.Append(name).Append(": ").Append(value).Append("\r\n");
        }

        // Latin-1 keeps every byte Kestrel accepted in a header value as that byte.
        return Encoding.Latin1.GetBytes(text.Append("\r\n").ToString());
    }

    /// <summary>Writes the app's status, headers and body to the browser's response; true when the connection can carry another request.</summary>
    private static async Task<bool> CopyResponseAsync(
        HttpContext context, AppConnection connection, ResponseHead head, Action keepAlive, CancellationToken cancellationToken)
    {
        var response = context.Response;
        response.StatusCode = head.Status;
        foreach (var (name, value) in head.Headers)
        {
            if (!IsHopByHop(name) && !name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                response.Headers.Append(name, value);
            }
        }

        var noBody = HttpMethods.IsHead(context.Request.Method) || head.Status is 204 or 304;
        if (head.ContentLength is { } length && !head.Chunked && (head.Status is not (204 or 304)))
        {
            response.ContentLength = length;
        }

        if (noBody)
        {
            await response.StartAsync(cancellationToken);
            return head.KeepAlive;
        }

        if (head.Chunked)
        {
            await connection.CopyChunkedAsync(response.Body, keepAlive, cancellationToken);
            return head.KeepAlive;
        }

        if (head.ContentLength is { } count)
        {
            await connection.CopyAsync(response.Body, count, keepAlive, cancellationToken);
            return head.KeepAlive;
        }

        // No framing: the body runs until the app closes the connection.
        await connection.CopyAsync(response.Body, long.MaxValue, keepAlive, cancellationToken);
        return false;
    }

    private static bool IsHopByHop(string name) =>
        name.Equals("Connection", StringComparison.OrdinalIgnoreCase)
        || name.Equals("Keep-Alive", StringComparison.OrdinalIgnoreCase)
        || name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase)
        || name.Equals("Proxy-Connection", StringComparison.OrdinalIgnoreCase)
        || name.Equals("Upgrade", StringComparison.OrdinalIgnoreCase)
        || name.Equals("Trailer", StringComparison.OrdinalIgnoreCase)
        || name.Equals("TE", StringComparison.OrdinalIgnoreCase);

    /// <summary>True for request headers that belong to one hop and are never passed on.</summary>
    public static bool IsHopByHopRequestHeader(string name) =>
        IsHopByHop(name) || name.Equals("Host", StringComparison.OrdinalIgnoreCase) || name.Equals("Expect", StringComparison.OrdinalIgnoreCase);

    private AppConnection? TakeIdle(string key)
    {
        if (!_idle.TryGetValue(key, out var stack))
        {
            return null;
        }

        var now = _time.GetUtcNow();
        while (stack.TryPop(out var connection))
        {
            if (now - connection.IdleSince < IdleLifetime && connection.LooksOpen())
            {
                return connection;
            }

            connection.Dispose();
        }

        return null;
    }

    private void ReturnIdle(string key, AppConnection connection)
    {
        var stack = _idle.GetOrAdd(key, _ => new ConcurrentStack<AppConnection>());
        if (stack.Count >= MaxIdlePerApp)
        {
            connection.Dispose();
            return;
        }

        connection.IdleSince = _time.GetUtcNow();
        stack.Push(connection);
    }

    /// <summary>Closes connections nobody used within their lifetime, and forgets apps with none left (deleted sandboxes).</summary>
    private void Sweep()
    {
        var now = _time.GetUtcNow();
        foreach (var (key, stack) in _idle)
        {
            var kept = new List<AppConnection>();
            while (stack.TryPop(out var connection))
            {
                if (now - connection.IdleSince < IdleLifetime)
                {
                    kept.Add(connection);
                }
                else
                {
                    connection.Dispose();
                }
            }

            if (kept.Count == 0)
            {
                _idle.TryRemove(new KeyValuePair<string, ConcurrentStack<AppConnection>>(key, stack));
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
                connection.Dispose();
            }
        }
    }

    /// <summary>An answer's status line and headers, and how its body is framed.</summary>
    private sealed record ResponseHead(int Status, List<KeyValuePair<string, string>> Headers, long? ContentLength, bool Chunked, bool KeepAlive, string? Error = null);

    /// <summary>One TCP connection to an app, with its read buffer.</summary>
    private sealed class AppConnection(Socket socket) : IDisposable
    {
        private readonly NetworkStream _stream = new(socket, ownsSocket: true);
        private byte[] _buffer = new byte[16 * 1024];
        private int _start;
        private int _end;

        public DateTimeOffset IdleSince { get; set; }

        public static async Task<AppConnection> OpenAsync(string host, int port, CancellationToken cancellationToken)
        {
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(ConnectTimeout);
                await socket.ConnectAsync(host, port, timeout.Token);
                return new AppConnection(socket);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        /// <summary>An idle connection the app closed (or wrote to out of turn) reads as ready; one still open does not.</summary>
        public bool LooksOpen()
        {
            try
            {
                return _start == _end && !socket.Poll(0, SelectMode.SelectRead);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return false;
            }
        }

        public ValueTask WriteAsync(byte[] bytes, CancellationToken cancellationToken) => _stream.WriteAsync(bytes, cancellationToken);

        /// <summary>The next final answer's head (1xx interim answers are skipped); null when the app closed the connection before sending a byte.</summary>
        public async Task<ResponseHead?> ReadHeadAsync(CancellationToken cancellationToken)
        {
            while (true)
            {
                int end;
                while ((end = _buffer.AsSpan(_start, _end - _start).IndexOf("\r\n\r\n"u8)) < 0)
                {
                    if (_end - _start >= MaxHeadBytes)
                    {
                        return Malformed($"its answer's headers are larger than {MaxHeadBytes / 1024} KB");
                    }

                    var sawNothing = _end == _start;
                    if (await FillAsync(cancellationToken) == 0)
                    {
                        return sawNothing ? null : Malformed("the app closed the connection in the middle of its answer's headers");
                    }
                }

                var text = Encoding.Latin1.GetString(_buffer, _start, end);
                _start += end + 4;
                var head = Parse(text);
                if (head.Error is null && head.Status is >= 100 and < 200)
                {
                    continue;
                }

                return head;
            }
        }

        private static ResponseHead Malformed(string why) => new(0, [], null, false, false, why);

        private static ResponseHead Parse(string text)
        {
            var lines = text.Split("\r\n");
            var status = lines[0].Split(' ', 3);
            if (status.Length < 2 || !status[0].StartsWith("HTTP/1.", StringComparison.Ordinal)
                || !int.TryParse(status[1], NumberStyles.None, CultureInfo.InvariantCulture, out var code) || code is < 100 or > 999)
            {
                return Malformed($"its answer does not start with an HTTP/1.x status line: '{lines[0]}'");
            }

            var headers = new List<KeyValuePair<string, string>>(lines.Length);
            long? contentLength = null;
            var chunked = false;
            var keepAlive = status[0] == "HTTP/1.1";
            foreach (var line in lines.AsSpan(1))
            {
                var colon = line.IndexOf(':');
                if (colon <= 0)
                {
                    return Malformed($"its answer has a malformed header line: '{line}'");
                }

                var name = line[..colon].Trim();
                var value = line[(colon + 1)..].Trim();
                headers.Add(new(name, value));
                if (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
                {
                    if (!long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var length) || (contentLength is { } earlier && earlier != length))
                    {
                        return Malformed($"its answer has an invalid Content-Length: '{value}'");
                    }

                    contentLength = length;
                }
                else if (name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase))
                {
                    chunked = value.EndsWith("chunked", StringComparison.OrdinalIgnoreCase);
                    if (!chunked)
                    {
                        keepAlive = false;
                    }
                }
                else if (name.Equals("Connection", StringComparison.OrdinalIgnoreCase))
                {
                    foreach (var option in value.Split(','))
                    {
                        if (option.Trim().Equals("close", StringComparison.OrdinalIgnoreCase))
                        {
                            keepAlive = false;
                        }
                        else if (option.Trim().Equals("keep-alive", StringComparison.OrdinalIgnoreCase) && status[0] == "HTTP/1.0")
                        {
                            keepAlive = true;
                        }
                    }
                }
            }

            if (chunked)
            {
                // Transfer-Encoding wins over Content-Length (RFC 9112 §6.3); the length is not passed on.
                contentLength = null;
            }
            else if (contentLength is null && code is not (204 or 304))
            {
                keepAlive = false;
            }

            return new ResponseHead(code, headers, contentLength, chunked, keepAlive);
        }

        /// <summary>Copies up to <paramref name="count"/> body bytes (all of them until the app closes, for <see cref="long.MaxValue"/>).</summary>
        public async Task CopyAsync(Stream destination, long count, Action keepAlive, CancellationToken cancellationToken)
        {
            var untilClose = count == long.MaxValue;
            while (count > 0)
            {
                if (_start == _end && await FillAsync(cancellationToken) == 0)
                {
                    if (untilClose)
                    {
                        return;
                    }

                    throw new IOException("the app closed the connection before the end of its answer's body");
                }

                var take = (int)Math.Min(count, _end - _start);
                await destination.WriteAsync(_buffer.AsMemory(_start, take), cancellationToken);
                _start += take;
                count -= take;
                keepAlive();
            }
        }

        /// <summary>Decodes a chunked body and writes its data; trailers are read and dropped.</summary>
        public async Task CopyChunkedAsync(Stream destination, Action keepAlive, CancellationToken cancellationToken)
        {
            while (true)
            {
                var line = await ReadLineAsync(cancellationToken);
                var size = line.AsSpan();
                if (size.IndexOf(';') is var extension and >= 0)
                {
                    size = size[..extension];
                }

                if (!long.TryParse(size.Trim(), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var length) || length < 0)
                {
                    throw new InvalidDataException($"the app sent a malformed chunk size: '{line}'");
                }

                if (length == 0)
                {
                    while ((await ReadLineAsync(cancellationToken)).Length > 0)
                    {
                    }

                    return;
                }

                await CopyAsync(destination, length, keepAlive, cancellationToken);
                if ((await ReadLineAsync(cancellationToken)).Length != 0)
                {
                    throw new InvalidDataException("the app's chunk did not end where its size said");
                }
            }
        }

        private async Task<string> ReadLineAsync(CancellationToken cancellationToken)
        {
            int end;
            while ((end = _buffer.AsSpan(_start, _end - _start).IndexOf("\r\n"u8)) < 0)
            {
                if (_end - _start >= MaxHeadBytes)
                {
                    throw new InvalidDataException("the app sent a chunk header or trailer line that is too long");
                }

                if (await FillAsync(cancellationToken) == 0)
                {
                    throw new IOException("the app closed the connection in the middle of a chunked body");
                }
            }

            var line = Encoding.Latin1.GetString(_buffer, _start, end);
            _start += end + 2;
            return line;
        }

        private async ValueTask<int> FillAsync(CancellationToken cancellationToken)
        {
            if (_start == _end)
            {
                _start = _end = 0;
            }
            else if (_end == _buffer.Length)
            {
                if (_start > 0)
                {
                    Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                    _end -= _start;
                    _start = 0;
                }
                else
                {
                    Array.Resize(ref _buffer, Math.Min(_buffer.Length * 2, MaxHeadBytes + 4));
                }
            }

            var read = await _stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken);
            _end += read;
            return read;
        }

        public void Dispose() => _stream.Dispose();
    }
}
