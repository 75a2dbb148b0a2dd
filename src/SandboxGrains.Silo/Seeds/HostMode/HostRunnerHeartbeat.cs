using SandboxGrains.Silo.Runners;

namespace SandboxGrains.Silo.Seeds.HostMode;

/// <summary>
/// Keeps the host runner registered and healthy in host mode, where there is no engine to read: room for exactly one
/// sandbox (the host daemon's) and no CPU or memory to hand out, so a create asks for what is not there and is refused as
/// the cluster refuses any create without room, instead of failing half-way.
/// </summary>
internal sealed partial class HostRunnerHeartbeat(
    IGrainFactory grains,
    IOptions<RunnerOptions> options,
    Orleans.Runtime.ILocalSiloDetails silo,
    SandboxGrains.Grains.Runners.LocalRunnerHeartbeat latest,
    TimeProvider time,
    ILogger<HostRunnerHeartbeat> logger) : BackgroundService
{
    private static readonly RunnerResources OneSandbox = new(0, 0, 1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var runner = options.Value;
        using var timer = new PeriodicTimer(runner.HeartbeatInterval);
        do
        {
            var heartbeat = new RunnerHeartbeat(HostRunner.ContainerId, silo.SiloAddress.ToString(), OneSandbox, DockerError: null, DockerVersion: null);
            latest.Record(heartbeat, time.GetUtcNow());
            try
            {
                await grains.GetGrain<IRunnerGrain>(runner.Id).HeartbeatAsync(heartbeat, stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                // The silo may still be joining; the next beat tries again.
                LogHeartbeatFailed(logger, runner.Id, e.Message);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    [LoggerMessage(1, LogLevel.Debug, "Runner {RunnerId} (host mode): heartbeat not delivered: {Reason}")]
    private static partial void LogHeartbeatFailed(ILogger logger, string runnerId, string reason);
}
