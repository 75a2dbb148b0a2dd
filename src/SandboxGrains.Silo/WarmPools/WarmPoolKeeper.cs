using SandboxGrains.Silo.Hosting;

namespace SandboxGrains.Silo.WarmPools;

/// <summary>
/// Wakes every warm pool now and then. A pool's grain keeps itself refilled while it is active, but after a silo start or
/// a failover nothing else may call it: this puts it back to work within <see cref="Period"/>.
/// </summary>
internal sealed partial class WarmPoolKeeper(IGrainFactory grains, IHostApplicationLifetime lifetime, ILogger<WarmPoolKeeper> logger) : BackgroundService
{
    private static readonly TimeSpan Period = TimeSpan.FromSeconds(15);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await HostStart.WaitAsync(lifetime, stoppingToken);
        using var timer = new PeriodicTimer(Period);
        do
        {
            try
            {
                foreach (var poolId in await grains.GetGrain<IWarmPoolRegistryGrain>(IWarmPoolRegistryGrain.Key).ListAsync(stoppingToken))
                {
                    await grains.GetGrain<IWarmPoolGrain>(poolId).WakeAsync();
                }
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                // The cluster is forming or re-forming; the next round tries again.
                LogWakeFailed(logger, e.Message);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    [LoggerMessage(1, LogLevel.Debug, "Warm pools could not be woken yet: {Reason}")]
    private static partial void LogWakeFailed(ILogger logger, string reason);
}
