using Microsoft.AspNetCore.Hosting.Server;

namespace SandboxGrains.Silo.Hosting;

/// <summary>
/// Bounds the first step of a silo's stop on SIGTERM. The web host stops first (it is registered last): it takes no new
/// connection and waits for the requests in flight, while this silo is still a cluster member that can answer the grain
/// calls they make; then Orleans stops, which deactivates this silo's grains (their state is already stored), hands its
/// grain directory to the others and tells the cluster it left, so the others take over at once instead of after the
/// failure detector's probes. Left alone, the web host's wait shares one deadline with Orleans, so a WebSocket held
/// open (noVNC) would use it all and turn Orleans' leave into an abrupt one; this drains for at most
/// <see cref="SiloOptions.DrainTimeout"/> and keeps <see cref="OrleansStopBudget"/> for the leave.
/// </summary>
internal sealed partial class GracefulShutdown(IServer server, IOptions<SiloOptions> options, ILogger<GracefulShutdown> logger)
    : IHostedLifecycleService
{
    /// <summary>What Orleans' own graceful stop may take after the drain, before the host gives up on it.</summary>
    internal static readonly TimeSpan OrleansStopBudget = TimeSpan.FromSeconds(30);

    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        var drain = options.Value.DrainTimeout;
        LogDraining(logger, drain.TotalSeconds);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(drain);

        // Kestrel's StopAsync may be called again by the web host later; the second call waits for this one.
        await server.StopAsync(deadline.Token);
        LogDrained(logger);
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(1, LogLevel.Information, "Shutting down: no new connections; waiting up to {Seconds} s for requests in flight")]
    private static partial void LogDraining(ILogger logger, double seconds);

    [LoggerMessage(2, LogLevel.Information, "Requests drained; leaving the cluster")]
    private static partial void LogDrained(ILogger logger);
}
