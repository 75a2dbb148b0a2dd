using System.Collections.Concurrent;
using SandboxGrains.Grains.Sandboxes;

namespace SandboxGrains.Silo.Forwarding;

/// <summary>
/// Notes which sandboxes had toolbox or preview traffic through this silo, and which have a connection open through it
/// (a WebSocket: a noVNC tab left open keeps its sandbox alive), and tells their grains once per <see cref="Period"/>: a
/// busy preview costs one grain message per sandbox per period rather than one per request. The idle auto-stop reads the
/// resulting last-activity time. Health probes and reads of the sandbox's record never come through here.
/// </summary>
internal sealed class ActivitySampler(IGrainFactory grains, TimeProvider time, IOptions<LifecycleOptions> lifecycle) : BackgroundService
{
    /// <summary>Ten seconds, or a sixth of a policy minute when that is shortened (tests), so reports stay well inside it.</summary>
    internal TimeSpan Period { get; } = TimeSpan.FromTicks(Math.Min(TimeSpan.FromSeconds(10).Ticks, lifecycle.Value.MinuteLength.Ticks / 6));

    private ConcurrentDictionary<string, DateTimeOffset> _seen = new(StringComparer.Ordinal);

    private readonly ConcurrentDictionary<string, int> _open = new(StringComparer.Ordinal);

    /// <summary>Traffic reached <paramref name="sandboxId"/> just now.</summary>
    public void Record(string sandboxId) => _seen[sandboxId] = time.GetUtcNow();

    /// <summary>A connection to <paramref name="sandboxId"/> stays open until the result is disposed; it counts as activity all along.</summary>
    public IDisposable Open(string sandboxId)
    {
        _open.AddOrUpdate(sandboxId, 1, (_, count) => count + 1);
        return new OpenConnection(this, sandboxId);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Period, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            Flush();
        }
    }

    public override Task StopAsync(CancellationToken cancellationToken)
    {
        Flush();
        return base.StopAsync(cancellationToken);
    }

    private void Flush()
    {
        var seen = Interlocked.Exchange(ref _seen, new ConcurrentDictionary<string, DateTimeOffset>(StringComparer.Ordinal));
        var now = time.GetUtcNow();
        foreach (var (sandboxId, count) in _open)
        {
            if (count > 0)
            {
                seen[sandboxId] = now;
            }
        }

        foreach (var (sandboxId, at) in seen)
        {
            try
            {
                // One-way: nothing to wait for, and a sandbox deleted meanwhile simply ignores it.
                _ = grains.GetGrain<ISandboxGrain>(sandboxId).RecordActivityAsync(at);
            }
            catch (Exception e) when (e is InvalidOperationException or Orleans.Runtime.OrleansException)
            {
                // The silo is shutting down; activity is a hint, and losing one sample is harmless.
            }
        }
    }

    private void Close(string sandboxId)
    {
        if (_open.AddOrUpdate(sandboxId, 0, (_, count) => count - 1) <= 0)
        {
            _open.TryRemove(new KeyValuePair<string, int>(sandboxId, 0));
        }

        Record(sandboxId);
    }

    private sealed class OpenConnection(ActivitySampler sampler, string sandboxId) : IDisposable
    {
        private int _closed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _closed, 1) == 0)
            {
                sampler.Close(sandboxId);
            }
        }
    }
}
