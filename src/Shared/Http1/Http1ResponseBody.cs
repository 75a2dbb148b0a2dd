using System.Globalization;
using System.Net;

namespace SandboxGrains.Http.Http1;

/// <summary>
/// An answer's body as read from its connection, in any HTTP/1.1 framing. A body that ends before its framing says it
/// should is an <see cref="IOException"/>, never a short body passed off as whole. Reaching the end hands the connection
/// back (<see cref="Http1Connection.ResponseEnded"/>); disposing before the end closes it.
/// </summary>
internal sealed class Http1ResponseBody(Http1Connection connection, Http1Framing framing, long contentLength, bool keepAlive) : Stream
{
    private long _remaining = framing == Http1Framing.Length ? contentLength : 0;

    // In a chunked body: bytes left in the current chunk; -1 before the first chunk's size line.
    private long _chunkLeft = -1;
    private bool _ended = framing == Http1Framing.None || (framing == Http1Framing.Length && contentLength == 0);
    private bool _handedBack;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_ended)
        {
            HandBack();
            return 0;
        }

        if (buffer.Length == 0)
        {
            return 0;
        }

        try
        {
            var read = framing switch
            {
                Http1Framing.Length => await ReadCountedAsync(buffer, cancellationToken).ConfigureAwait(false),
                Http1Framing.Chunked => await ReadChunkedAsync(buffer, cancellationToken).ConfigureAwait(false),
                _ => await connection.ReadAsync(buffer, cancellationToken).ConfigureAwait(false),
            };

            if (read == 0)
            {
                // Until-close bodies end here; the others set _ended when their framing says so.
                _ended = true;
                HandBack();
            }

            return read;
        }
        catch
        {
            connection.Abort();
            throw;
        }
    }

    private async ValueTask<int> ReadCountedAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var read = await connection.ReadAsync(buffer[..(int)Math.Min(buffer.Length, _remaining)], cancellationToken).ConfigureAwait(false);
        if (read == 0)
        {
            throw new IOException($"the server closed the connection {_remaining} bytes before the end of its answer's body");
        }

        _remaining -= read;
        _ended = _remaining == 0;
        return read;
    }

    private async ValueTask<int> ReadChunkedAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        if (_chunkLeft <= 0)
        {
            if (_chunkLeft == 0 && (await connection.ReadLineAsync(cancellationToken).ConfigureAwait(false)).Length != 0)
            {
                throw new IOException("the server's chunk did not end where its size said");
            }

            _chunkLeft = ParseChunkSize(await connection.ReadLineAsync(cancellationToken).ConfigureAwait(false));
            if (_chunkLeft == 0)
            {
                // Trailers end at an empty line. They are read so the connection can carry the next request.
                while ((await connection.ReadLineAsync(cancellationToken).ConfigureAwait(false)).Length > 0)
                {
                }

                _ended = true;
                HandBack();
                return 0;
            }
        }

        var read = await connection.ReadAsync(buffer[..(int)Math.Min(buffer.Length, _chunkLeft)], cancellationToken).ConfigureAwait(false);
        if (read == 0)
        {
            throw new IOException("the server closed the connection in the middle of a chunk");
        }

        _chunkLeft -= read;
        return read;
    }

    private static long ParseChunkSize(string line)
    {
        var size = line.AsSpan();
        if (size.IndexOf(';') is var extension and >= 0)
        {
            size = size[..extension];
        }

        return long.TryParse(size.Trim(), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var length) && length >= 0
            ? length
            : throw new IOException($"the server sent a malformed chunk size: '{(line.Length > 40 ? line[..40] : line)}'");
    }

    /// <summary>
    /// Closes the connection after its answer could not be passed on, unless reading the body to its end already handed
    /// it back: then it is the pool's, and may be carrying another request by now.
    /// </summary>
    public void Abandon()
    {
        if (!_handedBack)
        {
            _handedBack = true;
            connection.Abort();
        }
    }

    private void HandBack()
    {
        if (!_handedBack)
        {
            _handedBack = true;
            connection.ResponseEnded(keepAlive && framing != Http1Framing.UntilClose);
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_handedBack)
        {
            _handedBack = true;
            if (_ended)
            {
                connection.ResponseEnded(keepAlive && framing != Http1Framing.UntilClose);
            }
            else
            {
                // Not read to the end (the caller gave up, or the client left): the rest would arrive on the next request.
                connection.Abort();
            }
        }

        base.Dispose(disposing);
    }

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}

/// <summary>The content of an answer read by <see cref="DuplexHttp1Handler"/>: one stream, read once.</summary>
internal sealed class Http1ResponseContent(Stream body) : HttpContent
{
    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => body.CopyToAsync(stream);

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken) =>
        body.CopyToAsync(stream, cancellationToken);

    protected override Task<Stream> CreateContentReadStreamAsync() => Task.FromResult(body);

    protected override Task<Stream> CreateContentReadStreamAsync(CancellationToken cancellationToken) => Task.FromResult(body);

    protected override Stream CreateContentReadStream(CancellationToken cancellationToken) => body;

    protected override bool TryComputeLength(out long length)
    {
        length = 0;
        return false;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            body.Dispose();
        }

        base.Dispose(disposing);
    }
}
