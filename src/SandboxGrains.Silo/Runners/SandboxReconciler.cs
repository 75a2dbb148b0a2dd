using SandboxGrains.Sandboxes;
using SandboxGrains.Silo.Hosting;

namespace SandboxGrains.Silo.Runners;

/// <summary>
/// At silo start, hands every managed container of this runner to its sandbox grain, which rebuilds its state from the
/// container's labels when it has none. This is what makes an embedded silo (memory storage) find its sandboxes again
/// after a restart, and what keeps a crash between "container created" and "state written" from leaving an orphan.
/// </summary>
internal sealed partial class SandboxReconciler(
    IGrainFactory grains,
    IOptions<RunnerOptions> options,
    IHostApplicationLifetime lifetime,
    ILogger<SandboxReconciler> logger) : BackgroundService
{
    private static readonly TimeSpan RetryPause = TimeSpan.FromSeconds(2);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await HostStart.WaitAsync(lifetime, stoppingToken);
        var runnerId = options.Value.Id;
        var runner = grains.GetGrain<IRunnerGrain>(runnerId);

        // The runner grain answers once the silo is up; Docker may not be yet. Retry until the list comes back.
        IReadOnlyList<ManagedContainer> containers;
        while (true)
        {
            try
            {
                containers = await runner.ListSandboxContainersAsync(stoppingToken);
                break;
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                LogListFailed(logger, runnerId, e.Message);
                await Task.Delay(RetryPause, stoppingToken);
            }
        }

        var failed = 0;
        await Parallel.ForEachAsync(
            containers,
            new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = stoppingToken },
            async (container, cancellationToken) =>
            {
                try
                {
                    var sandbox = grains.GetGrain<ISandboxGrain>(container.SandboxId);
                    await (container.IsArchive
                        ? sandbox.ReconcileArchiveAsync(runnerId, container.ContainerId, cancellationToken)
                        : sandbox.ReconcileAsync(runnerId, container.ContainerId, cancellationToken));
                }
                catch (Exception e) when (!stoppingToken.IsCancellationRequested)
                {
                    Interlocked.Increment(ref failed);
                    LogReconcileFailed(logger, container.SandboxId, e.Message);
                }
            });
        LogReconciled(logger, runnerId, containers.Count, failed);
    }

    [LoggerMessage(1, LogLevel.Information, "Runner {RunnerId}: reconciled {Count} sandbox containers ({Failed} failed)")]
    private static partial void LogReconciled(ILogger logger, string runnerId, int count, int failed);

    [LoggerMessage(2, LogLevel.Warning, "Runner {RunnerId}: cannot list sandbox containers yet: {Reason}")]
    private static partial void LogListFailed(ILogger logger, string runnerId, string reason);

    [LoggerMessage(3, LogLevel.Warning, "Sandbox {SandboxId} could not be reconciled: {Reason}")]
    private static partial void LogReconcileFailed(ILogger logger, string sandboxId, string reason);
}
