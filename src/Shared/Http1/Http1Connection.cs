using System.Net;
using System.Net.Sockets;
using System.Text;

namespace SandboxGrains.Http.Http1;

/// <summary>
/// One TCP connection to a server, carrying one exchange at a time: the head written, the body sent in the background,
/// the answer read through <see cref="Http1ResponseBody"/>. Goes back to its pool only when both directions finished
/// cleanly and the server keeps it alive.
/// </summary>
internal sealed class Http1Connection : IDisposable
{
    private readonly Socket _socket;
    private readonly Stream _stream;
    private readonly Http1ConnectionPool _pool;
    private byte[] _buffer = new byte[16 * 1024];
    private int _start;
    private int _end;
    private Task _sending = Task.CompletedTask;
    private Http1RequestBody? _body;
    private int _aborted;

    public Http1Connection(Socket socket, Http1ConnectionPool pool, string endpoint)
    {
        _socket = socket;
        var stream = new NetworkStream(socket, ownsSocket: true);
        _stream = pool.Traffic is { } traffic ? traffic.Count(stream) : stream;
        _pool = pool;
        Endpoint = endpoint;
    }

    /// <summary>The pool's key: <c>host:port</c>, and the tunnel it goes through if any.</summary>
    public string Endpoint { get; }

    /// <summary>True when this connection carried an earlier exchange (and so may have been closed by the server since).</summary>
    public bool Reused { get; set; }

    /// <summary>When it went back into the pool.</summary>
    public DateTimeOffset IdleSince { get; set; }

    /// <summary>An idle connection the server closed (or wrote to out of turn) reads as ready; one still open does not.</summary>
    public bool LooksOpen()
    {
        try
        {
            return Volatile.Read(ref _aborted) == 0 && _start == _end && !_socket.Poll(0, SelectMode.SelectRead);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return false;
        }
    }

    public ValueTask WriteAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken) => _stream.WriteAsync(bytes, cancellationToken);

    /// <summary>Starts copying the request body to the server; the answer can be read meanwhile.</summary>
    public void StartSendingBody(HttpContent content, long? length, CancellationToken cancellationToken)
    {
        _body = new Http1RequestBody(_stream, length);
        _sending = SendBodyAsync(content, _body, cancellationToken);
    }

    private async Task SendBodyAsync(HttpContent content, Http1RequestBody body, CancellationToken cancellationToken)
    {
        try
        {
            // The caller's token, as given: YARP's request content tells HTTP/1.1 from HTTP/2 by it.
            await content.CopyToAsync(body, cancellationToken).ConfigureAwait(false);
            await body.CompleteAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception) when (body.ServerStoppedReading)
        {
            // The server closed its side: it answered already (or will say why); the answer is read as usual.
        }
        catch (Exception)
        {
            // The caller's body broke or was cancelled: the server must see its request cut, not wait for the rest.
            Abort();
        }
    }

    /// <summary>
    /// The next final answer's head, skipping interim 1xx answers (but not 101); null when the server closed the
    /// connection before sending a byte.
    /// </summary>
    public async Task<Http1ResponseHead?> ReadResponseHeadAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            int end;
            while ((end = _buffer.AsSpan(_start, _end - _start).IndexOf("\r\n\r\n"u8)) < 0)
            {
                if (_end - _start >= Http1ResponseHead.MaxBytes)
                {
                    throw Http1ResponseHead.Invalid($"the answer's headers are larger than {Http1ResponseHead.MaxBytes / 1024} KB");
                }

                var sawNothing = _end == _start;
                if (await FillAsync(cancellationToken).ConfigureAwait(false) == 0)
                {
                    return sawNothing ? null
                        : throw new HttpRequestException(HttpRequestError.ResponseEnded, "the server closed the connection in the middle of its answer's headers");
                }
            }

            var text = Encoding.Latin1.GetString(_buffer, _start, end);
            _start += end + 4;
            var head = Http1ResponseHead.Parse(text);
            if (head.Status is >= 100 and < 200 and not 101)
            {
                continue;
            }

            return head;
        }
    }

    /// <summary>The answer as an <see cref="HttpResponseMessage"/> whose content reads the body from this connection.</summary>
    public HttpResponseMessage CreateResponse(HttpRequestMessage request, Http1ResponseHead head, bool requestWasHead)
    {
        Stream body = head.Status == 101
            ? new Http1UpgradedStream(this)
            : new Http1ResponseBody(this, head.Framing(requestWasHead), head.ContentLength ?? 0, head.KeepAlive);
        var response = new HttpResponseMessage((HttpStatusCode)head.Status)
        {
            RequestMessage = request,
            Version = head.Version,
            ReasonPhrase = head.Reason,
            Content = new Http1ResponseContent(body),
        };

        foreach (var (name, value) in head.Headers)
        {
            if (!response.Headers.TryAddWithoutValidation(name, value))
            {
                response.Content.Headers.TryAddWithoutValidation(name, value);
            }
        }

        return response;
    }

    /// <summary>Reads body bytes: first what is buffered, then from the socket straight into <paramref name="destination"/>.</summary>
    public async ValueTask<int> ReadAsync(Memory<byte> destination, CancellationToken cancellationToken)
    {
        if (_start < _end)
        {
            var count = Math.Min(destination.Length, _end - _start);
            _buffer.AsMemory(_start, count).CopyTo(destination);
            _start += count;
            return count;
        }

        return await _stream.ReadAsync(destination, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads one CRLF-terminated line (chunk sizes, trailers).</summary>
    public async ValueTask<string> ReadLineAsync(CancellationToken cancellationToken)
    {
        int end;
        while ((end = _buffer.AsSpan(_start, _end - _start).IndexOf("\r\n"u8)) < 0)
        {
            if (_end - _start >= Http1ResponseHead.MaxBytes)
            {
                throw new InvalidDataException("the server sent a chunk-size or trailer line that is too long");
            }

            if (await FillAsync(cancellationToken).ConfigureAwait(false) == 0)
            {
                throw new IOException("the server closed the connection in the middle of a chunked body");
            }
        }

        var line = Encoding.Latin1.GetString(_buffer, _start, end);
        _start += end + 2;
        return line;
    }

    /// <summary>
    /// The answer's body was read to its end. The connection goes back to the pool when the server keeps it alive and the
    /// request body was sent whole; a server that answered before reading the whole body is cut off, so the rest of the
    /// body is not pushed at a server that no longer reads.
    /// </summary>
    public void ResponseEnded(bool keepAlive)
    {
        if (!_sending.IsCompleted)
        {
            Abort();
            return;
        }

        (_stream as Http1Traffic.CountedStream)?.Report();
        if (keepAlive && _sending.IsCompletedSuccessfully && _body?.ServerStoppedReading != true && Volatile.Read(ref _aborted) == 0)
        {
            _sending = Task.CompletedTask;
            _body = null;
            _pool.Return(this);
        }
        else
        {
            Abort();
        }
    }

    /// <summary>Closes the connection at once; pending reads and writes on it fail.</summary>
    public void Abort()
    {
        if (Interlocked.Exchange(ref _aborted, 1) == 0)
        {
            _stream.Dispose();
        }
    }

    /// <summary>
    /// Closes a connection the pool lets go (its lifetime up, its server gone, or one too many) so that the socket is freed
    /// at once: the FIN goes out and a reset follows it, rather than a FIN retransmitted for minutes. In the silo such a
    /// connection often leads to a sandbox that is gone, and those retransmissions keep the host's neighbour entry for the
    /// address unresolved when Docker gives it to the next container (docs/daemon.md). The exchange it carried is over,
    /// so nothing anyone waits for is lost.
    /// </summary>
    public void Discard()
    {
        try
        {
            _socket.LingerState = new LingerOption(true, 0);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }

        Abort();
    }

    public void Dispose() => Abort();

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
                Array.Resize(ref _buffer, Math.Min(_buffer.Length * 2, Http1ResponseHead.MaxBytes + 4));
            }
        }

        var read = await _stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken).ConfigureAwait(false);
        _end += read;
        return read;
    }
}
