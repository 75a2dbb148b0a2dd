using SandboxGrains.Grains.Sandboxes;

namespace SandboxGrains.Silo.Seeds;

/// <summary>
/// Seed 002's default target: the sandbox its container is, adopting the container (with the configured injection) the
/// first time it is needed or at start-up, whichever comes first, and again if that sandbox goes away. In host mode the
/// "container" is the host and the sandbox its daemon, taken in by the runner's reconciliation (<see cref="HostMode.HostRunner"/>).
/// </summary>
internal sealed class DaemonProxyTarget(
    IGrainFactory grains,
    IOptions<DaemonProxyOptions> options,
    IOptions<Runners.RunnerOptions> runner,
    IHostApplicationLifetime lifetime,
    ILogger<DaemonProxyTarget> logger) : BackgroundService
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private string? _sandboxId;

    public string Container => options.Value.IsHostMode ? HostMode.HostRunner.ContainerId : options.Value.ContainerName!;

    /// <summary>The target's sandbox id, made now when there is none.</summary>
    public async Task<string> SandboxIdAsync(CancellationToken cancellationToken)
    {
        if (_sandboxId is { } known)
        {
            return known;
        }

        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_sandboxId is null)
            {
                _sandboxId = options.Value.IsHostMode ? await TakeInHostAsync(cancellationToken) : await AdoptAsync(cancellationToken);
                logger.LogInformation("Daemon proxy: its default target is container {Container}, sandbox {SandboxId}", Container, _sandboxId);
            }

            return _sandboxId;
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<string> AdoptAsync(CancellationToken cancellationToken)
    {
        var (_, _, owner) = await AdoptionTarget.LocateAsync(grains, Container, cancellationToken);
        return owner ?? (await grains.GetGrain<ISandboxGrain>(SandboxIds.New()).AdoptAsync(Container, options.Value.Injection, cancellationToken)).Id;
    }

    /// <summary>The host daemon's sandbox, rebuilt from what the host runner reports when the grain has none (a first start, or after a delete).</summary>
    private async Task<string> TakeInHostAsync(CancellationToken cancellationToken) =>
        (await grains.GetGrain<ISandboxGrain>(HostMode.HostRunner.SandboxId).ReconcileAsync(runner.Value.Id, HostMode.HostRunner.ContainerId, cancellationToken)).Id;

    /// <summary>The target's sandbox went away (deleted, its container removed): the next call looks again.</summary>
    public void Forget(string sandboxId) => Interlocked.CompareExchange(ref _sandboxId, null, sandboxId);

    /// <summary>Calls <paramref name="call"/> on the target, looking the target up again once when its sandbox is gone.</summary>
    public async Task<T> OnTargetAsync<T>(Func<ISandboxGrain, Task<T>> call, CancellationToken cancellationToken)
    {
        var id = await SandboxIdAsync(cancellationToken);
        try
        {
            return await call(grains.GetGrain<ISandboxGrain>(id));
        }
        catch (SandboxException e) when (e.Code == SandboxErrorCodes.NotFound)
        {
            Forget(id);
            return await call(grains.GetGrain<ISandboxGrain>(await SandboxIdAsync(cancellationToken)));
        }
    }

    /// <summary>At start-up, the target made ready before anyone asks (seed 002 waits for its daemon before serving).</summary>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Hosting.HostStart.WaitAsync(lifetime, stoppingToken);
        for (var attempt = 1; !stoppingToken.IsCancellationRequested; attempt++)
        {
            try
            {
                await SandboxIdAsync(stoppingToken);
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                if (attempt % 15 == 1)
                {
                    logger.LogWarning("Daemon proxy: container {Container} is not ready as its default target yet: {Reason}", Container, e.Message);
                }

                await Task.Delay(TimeSpan.FromSeconds(2), stoppingToken);
            }
        }
    }
}
