using SandboxGrains.Docker;
using SandboxGrains.Sandboxes;

namespace SandboxGrains.Silo.Runners;

/// <summary>
/// Follows the Docker engine's events for this runner's sandbox containers and tells each sandbox grain at once, so a
/// container that dies, is stopped or is removed outside the cluster shows in its sandbox's state within a second or two.
/// </summary>
internal sealed partial class DockerEventsListener(
    IGrainFactory grains,
    IContainerRuntime docker,
    IOptions<RunnerOptions> options,
    ILogger<DockerEventsListener> logger) : BackgroundService
{
    /// <summary>The actions that change whether a sandbox is usable.</summary>
    private static readonly HashSet<string> Followed = ["start", "die", "stop", "kill", "oom", "destroy"];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var runnerId = options.Value.Id;
        var labels = SandboxLabels.FilterByRunner(runnerId);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await foreach (var evt in docker.WatchEventsAsync(labels, stoppingToken))
                {
                    if (Followed.Contains(evt.Action) && SandboxLabels.SandboxIdOf(evt.Attributes) is { } sandboxId)
                    {
                        await grains.GetGrain<ISandboxGrain>(sandboxId).OnContainerEventAsync(evt.ContainerId, evt.Action);
                    }
                }
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                // Docker restarting or briefly away: the sandboxes' own health checks cover the gap; reconnect soon.
                LogWatchFailed(logger, runnerId, e.Message);
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
            }
        }
    }

    [LoggerMessage(1, LogLevel.Warning, "Runner {RunnerId}: Docker event stream interrupted ({Reason}); reconnecting")]
    private static partial void LogWatchFailed(ILogger logger, string runnerId, string reason);
}
