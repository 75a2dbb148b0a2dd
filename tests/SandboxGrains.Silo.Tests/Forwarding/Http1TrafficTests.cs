using System.Threading.Tasks.Sources;
using SandboxGrains.Http.Http1;
using Xunit;

namespace SandboxGrains.Silo.Tests.Forwarding;

/// <summary>
/// The byte counting around a connection's stream: everything passes through unchanged, what went each way is reported
/// once per <see cref="Http1Traffic.CountedStream.Report"/>, and a read the socket finished before anyone looked is
/// handed on as a fresh result (a socket's own results come from a pool and may be read only once: reading one twice
/// broke a few requests in ten thousand under load).
/// </summary>
public sealed class Http1TrafficTests
{
    [Fact]
    public async Task CountsBothWays_ReportsOncePerExchange_AndNeverHandsOnAConsumedRead()
    {
        long sent = 0, received = 0;
        var traffic = new Http1Traffic(n => sent += n, n => received += n);
        await using var counted = traffic.Count(new PooledResultStream());

        var buffer = new byte[100];
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(7, await counted.ReadAsync(buffer, TestContext.Current.CancellationToken));
        }

        await counted.WriteAsync(new byte[5], TestContext.Current.CancellationToken);
        Assert.Equal((0L, 0L), (sent, received));

        counted.Report();
        Assert.Equal((5L, 21L), (sent, received));
        counted.Report();
        Assert.Equal((5L, 21L), (sent, received));
    }

    /// <summary>
    /// Answers every read with 7 bytes through a reusable value-task source that is already complete when returned, as
    /// a socket's read is when its data arrived before the caller looked; reading such a result twice throws.
    /// </summary>
    private sealed class PooledResultStream : Stream, IValueTaskSource<int>
    {
        private ManualResetValueTaskSourceCore<int> _core;

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            _core.Reset();
            _core.SetResult(7);
            return new ValueTask<int>(this, _core.Version);
        }

        public int GetResult(short token)
        {
            var result = _core.GetResult(token);
            _core.Reset();
            return result;
        }

        public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

        public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
            _core.OnCompleted(continuation, state, token, flags);

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) { }
    }
}
