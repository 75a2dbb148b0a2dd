using SandboxGrains.Docker;

namespace SandboxGrains.Silo.Runners;

/// <summary>
/// Reports this silo's runner to its grain every few seconds: the Docker engine's capacity, or why it does not answer.
/// The grain treats silence as "unreachable", so this loop is what keeps the runner placeable.
/// </summary>
internal sealed partial class RunnerHeartbeatService(
    IGrainFactory grains,
    IContainerRuntime docker,
    IOptions<RunnerOptions> options,
    Orleans.Runtime.ILocalSiloDetails silo,
    SandboxGrains.Grains.Runners.LocalRunnerHeartbeat latest,
    TimeProvider time,
    ILogger<RunnerHeartbeatService> logger) : BackgroundService
{
    /// <summary>How often the engine's capacity is read again; the beats in between only ping it.</summary>
    private static readonly TimeSpan EngineInfoPeriod = TimeSpan.FromMinutes(1);

    private RunnerResources _lastCapacity = RunnerResources.None;
    private string? _lastError;
    private string? _lastVersion;
    private DateTimeOffset _lastInfoAt;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var runner = options.Value;
        using var timer = new PeriodicTimer(runner.HeartbeatInterval);
        do
        {
            await BeatAsync(runner, stoppingToken);
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    private async Task BeatAsync(RunnerOptions runner, CancellationToken cancellationToken)
    {
        string? dockerError = null;
        string? version = null;
        try
        {
            // `docker info` is slow on a busy engine (it counts containers and images), and one slow answer must not
            // make the runner unplaceable; capacity rarely changes, so most beats only ping.
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(5));
            if (_lastVersion is not null && time.GetUtcNow() - _lastInfoAt < EngineInfoPeriod)
            {
                await docker.PingAsync(timeout.Token);
                version = _lastVersion;
            }
            else
            {
                var engine = await docker.GetEngineInfoAsync(timeout.Token);
                version = _lastVersion = engine.Version;
                _lastInfoAt = time.GetUtcNow();
                _lastCapacity = new RunnerResources(
                    Math.Round(engine.Cpus * runner.CpuOvercommit, 2),
                    (long)(engine.MemoryBytes / (1024.0 * 1024.0) * runner.MemoryOvercommit),
                    runner.MaxSandboxes);
            }
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            dockerError = e is ContainerRuntimeException ? e.Message : $"cannot reach Docker at {docker.Endpoint}: {e.Message}";
        }

        if (dockerError != _lastError)
        {
            if (dockerError is null)
            {
                LogDockerBack(logger, runner.Id, docker.Endpoint);
            }
            else
            {
                LogDockerDown(logger, runner.Id, dockerError);
            }

            _lastError = dockerError;
        }

        var heartbeat = new RunnerHeartbeat(docker.Endpoint, silo.SiloAddress.ToString(), _lastCapacity, dockerError, version);
        latest.Record(heartbeat, time.GetUtcNow());
        try
        {
            await grains.GetGrain<IRunnerGrain>(runner.Id).HeartbeatAsync(heartbeat, cancellationToken);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            // The silo may still be joining, or the cluster may be re-forming; the next beat tries again.
            LogHeartbeatFailed(logger, runner.Id, e.Message);
        }
    }

    [LoggerMessage(1, LogLevel.Warning, "Runner {RunnerId}: {Reason}")]
    private static partial void LogDockerDown(ILogger logger, string runnerId, string reason);

    [LoggerMessage(2, LogLevel.Information, "Runner {RunnerId}: Docker at {Endpoint} answers")]
    private static partial void LogDockerBack(ILogger logger, string runnerId, string endpoint);

    [LoggerMessage(3, LogLevel.Debug, "Runner {RunnerId}: heartbeat not delivered: {Reason}")]
    private static partial void LogHeartbeatFailed(ILogger logger, string runnerId, string reason);
}
