using System.Buffers;
using System.Globalization;
using System.Text;

namespace SandboxGrains.Http.Http1;

/// <summary>
/// The request body on its way to the server: counted against its <c>Content-Length</c>, or chunked when the caller gave
/// none. Nothing is buffered; every write goes to the socket, so a server that reads slowly slows the caller down.
/// </summary>
internal sealed class Http1RequestBody(Stream connection, long? contentLength) : Stream
{
    private long _written;

    /// <summary>A write to the server failed: it closed its side or reset the connection (often because it answered early).</summary>
    public bool ServerStoppedReading { get; private set; }

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.IsEmpty)
        {
            return;
        }

        _written += buffer.Length;
        if (contentLength is { } length)
        {
            if (_written > length)
            {
                throw new InvalidOperationException($"the request body is longer than its Content-Length of {length} bytes");
            }

            await SendAsync(buffer, cancellationToken).ConfigureAwait(false);
            return;
        }

        // One chunk per write; small ones go out as one packet with their size line.
        var sizeLine = string.Create(CultureInfo.InvariantCulture, $"{buffer.Length:X}\r\n");
        if (buffer.Length <= 8 * 1024)
        {
            var packet = ArrayPool<byte>.Shared.Rent(sizeLine.Length + buffer.Length + 2);
            try
            {
                var size = Encoding.ASCII.GetBytes(sizeLine, packet);
                buffer.CopyTo(packet.AsMemory(size));
                "\r\n"u8.CopyTo(packet.AsSpan(size + buffer.Length));
                await SendAsync(packet.AsMemory(0, size + buffer.Length + 2), cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(packet);
            }

            return;
        }

        await SendAsync(Encoding.ASCII.GetBytes(sizeLine), cancellationToken).ConfigureAwait(false);
        await SendAsync(buffer, cancellationToken).ConfigureAwait(false);
        await SendAsync("\r\n"u8.ToArray(), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Ends the body: the last chunk, or a check that the declared length was sent whole.</summary>
    public async Task CompleteAsync(CancellationToken cancellationToken)
    {
        if (contentLength is { } length)
        {
            if (_written != length)
            {
                throw new IOException($"the request body ended after {_written} of its {length} bytes");
            }

            return;
        }

        await SendAsync("0\r\n\r\n"u8.ToArray(), cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask SendAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        try
        {
            await connection.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            ServerStoppedReading = true;
            throw;
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}
