using System.Collections.Concurrent;

namespace SandboxGrains.Silo.Forwarding;

/// <summary>
/// Notes which sandboxes had toolbox or preview traffic through this silo and tells their grains once per
/// <see cref="Period"/>, so a busy preview costs one grain message per sandbox per period rather than one per request.
/// The idle auto-stop reads the resulting last-activity time.
/// </summary>
internal sealed class ActivitySampler(IGrainFactory grains, TimeProvider time) : BackgroundService
{
    internal static readonly TimeSpan Period = TimeSpan.FromSeconds(10);

    private ConcurrentDictionary<string, DateTimeOffset> _seen = new(StringComparer.Ordinal);

    /// <summary>Traffic reached <paramref name="sandboxId"/> just now.</summary>
    public void Record(string sandboxId) => _seen[sandboxId] = time.GetUtcNow();

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
}
