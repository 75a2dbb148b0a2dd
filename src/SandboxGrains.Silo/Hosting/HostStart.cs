namespace SandboxGrains.Silo.Hosting;

/// <summary>
/// For background services that call grains as soon as they run: they start beside the silo, and until the host has
/// started (the silo with it) a grain call finds no silo to place the grain on. Orleans retries such a placement, logging
/// every retry as a warning with a stack trace, at every silo start.
/// </summary>
internal static class HostStart
{
    /// <summary>Completes once the host has started (at once if it already has); cancelled with <paramref name="stoppingToken"/>.</summary>
    public static async Task WaitAsync(IHostApplicationLifetime lifetime, CancellationToken stoppingToken)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
        using (stoppingToken.Register(() => started.TrySetCanceled(stoppingToken)))
        {
            await started.Task.ConfigureAwait(false);
        }
    }
}
