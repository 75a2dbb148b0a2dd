namespace SandboxGrains.Http.Http1;

/// <summary>
/// Where a pool's connections report the bytes they sent and received (a metric's counters): once per exchange and when a
/// connection closes, not per read, so a busy link costs the metric a couple of additions per request. Optional: a pool
/// without one counts nothing and its connections use the socket's stream directly.
/// </summary>
internal sealed class Http1Traffic(Action<long> sent, Action<long> received)
{
    private readonly Action<long> _sent = sent;
    private readonly Action<long> _received = received;

    /// <summary>The connection's stream, counted.</summary>
    public CountedStream Count(Stream inner) => new(inner, this);

    /// <summary>Passes everything to the socket's stream and adds up what went each way until <see cref="Report"/>.</summary>
    internal sealed class CountedStream(Stream inner, Http1Traffic traffic) : Stream
    {
        private long _sent;
        private long _received;

        /// <summary>Hands what was counted since the last report to the metric.</summary>
        public void Report()
        {
            if (Interlocked.Exchange(ref _sent, 0) is var bytesSent and > 0)
            {
                traffic._sent(bytesSent);
            }

            if (Interlocked.Exchange(ref _received, 0) is var bytesReceived and > 0)
            {
                traffic._received(bytesReceived);
            }
        }

        private void Sent(int count) => Interlocked.Add(ref _sent, count);

        private void Received(int count) => Interlocked.Add(ref _received, count);

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            // Most socket reads finish at once: count those without an async state machine.
            var reading = inner.ReadAsync(buffer, cancellationToken);
            if (reading.IsCompletedSuccessfully)
            {
                // A ValueTask may be consumed once (the socket's are pooled): its result goes on in a new one.
                var read = reading.Result;
                Received(read);
                return new ValueTask<int>(read);
            }

            return CountWhenReadAsync(reading);
        }

        private async ValueTask<int> CountWhenReadAsync(ValueTask<int> reading)
        {
            var read = await reading.ConfigureAwait(false);
            Received(read);
            return read;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count)
        {
            var read = inner.Read(buffer, offset, count);
            Received(read);
            return read;
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Sent(buffer.Length);
            return inner.WriteAsync(buffer, cancellationToken);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Write(byte[] buffer, int offset, int count)
        {
            Sent(count);
            inner.Write(buffer, offset, count);
        }

        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);
        public override void Flush() => inner.Flush();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
                Report();
            }

            base.Dispose(disposing);
        }
    }
}
