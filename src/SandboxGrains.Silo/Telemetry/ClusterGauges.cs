using System.Diagnostics.Metrics;
using SandboxGrains.Grains.Runners;
using SandboxGrains.Telemetry;

namespace SandboxGrains.Silo.Telemetry;

/// <summary>
/// The gauges a silo reports for its own runner: its capacity, what is allocated of it and whether it is healthy, read
/// from its runner grain every <see cref="Period"/>; and, once at start-up, every sandbox's state for the
/// <see cref="SandboxCensus"/>, which events keep current from then on. A silo without a runner does nothing here.
/// </summary>
internal sealed class ClusterGauges : BackgroundService
{
    internal static readonly TimeSpan Period = TimeSpan.FromSeconds(10);

    private readonly IGrainFactory _grains;
    private readonly SandboxCensus _census;
    private readonly string? _runnerId;
    private readonly ILogger<ClusterGauges> _logger;
    private RunnerInfo? _runner;

    public ClusterGauges(IGrainFactory grains, SandboxCensus census, LocalRunner local, IMeterFactory meters, ILogger<ClusterGauges> logger)
    {
        _grains = grains;
        _census = census;
        _runnerId = local.RunnerId;
        _logger = logger;
        if (_runnerId is null)
        {
            return;
        }

        var meter = meters.Create(SandboxGrainsTelemetry.Name);
        meter.CreateObservableGauge("sandboxgrains.runner.capacity", () => Resources(r => r.Capacity), description: "This silo's runner's capacity: CPU cores, memory in MiB, sandboxes.");
        meter.CreateObservableGauge("sandboxgrains.runner.allocated", () => Resources(r => r.Allocated), description: "What is allocated of this silo's runner: CPU cores, memory in MiB, sandboxes.");
        meter.CreateObservableGauge("sandboxgrains.runner.healthy", Healthy, description: "1 while this silo's runner is healthy, else 0.");
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_runnerId is null)
        {
            return;
        }

        await SeedCensusAsync(stoppingToken);
        using var timer = new PeriodicTimer(Period);
        do
        {
            try
            {
                _runner = await _grains.GetGrain<IRunnerGrain>(_runnerId).GetInfoAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The cluster is re-forming; the gauges keep their last reading until the next round.
                _logger.LogDebug("Runner gauges not read this round: {Reason}", e.Message);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    private async Task SeedCensusAsync(CancellationToken cancellationToken)
    {
        var registry = _grains.GetGrain<ISandboxRegistryGrain>(ISandboxRegistryGrain.Key);
        string? after = null;
        try
        {
            while (true)
            {
                var ids = await registry.ListAsync(after, 500, cancellationToken);
                await Parallel.ForEachAsync(ids, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = cancellationToken }, async (id, ct) =>
                {
                    try
                    {
                        _census.Seed(await _grains.GetGrain<ISandboxGrain>(id).GetAsync(ct));
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        // Deleted meanwhile, or out of reach for now: its next event counts it.
                    }
                });

                if (ids.Count < 500)
                {
                    break;
                }

                after = ids[^1];
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _logger.LogWarning("The sandboxes gauge starts from events alone: the sandboxes could not be listed at start-up ({Reason})", e.Message);
        }
        finally
        {
            _census.Seeded();
        }
    }

    private IEnumerable<Measurement<double>> Resources(Func<RunnerInfo, RunnerResources> pick)
    {
        if (_runner is not { } runner)
        {
            yield break;
        }

        var resources = pick(runner);
        var tag = new KeyValuePair<string, object?>(SandboxGrainsTelemetry.RunnerId, _runnerId);
        yield return new(resources.Cpu, tag, new(SandboxGrainsTelemetry.Resource, "cpu"));
        yield return new(resources.MemoryMb, tag, new(SandboxGrainsTelemetry.Resource, "memory_mb"));
        yield return new(resources.Sandboxes, tag, new(SandboxGrainsTelemetry.Resource, "sandboxes"));
    }

    private IEnumerable<Measurement<int>> Healthy()
    {
        if (_runner is { } runner)
        {
            yield return new(runner.Status == RunnerStatus.Healthy ? 1 : 0, new KeyValuePair<string, object?>(SandboxGrainsTelemetry.RunnerId, _runnerId));
        }
    }
}
