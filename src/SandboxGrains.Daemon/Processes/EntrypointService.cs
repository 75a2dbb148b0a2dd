namespace SandboxGrains.Daemon.Processes;

/// <summary>
/// When the daemon is the container's init it runs the image's own entrypoint and command as a child. The child may
/// exit (busybox's <c>sh</c> does at once) without ending the sandbox; SIGTERM to the daemon is passed on to it.
/// </summary>
internal sealed class EntrypointService(DaemonOptions options, SessionStore sessions, ILogger<EntrypointService> logger) : IHostedService
{
    private SessionCommand? _entrypoint;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (options.EntrypointCommand.Count == 0)
        {
            return Task.CompletedTask;
        }

        try
        {
            _entrypoint = sessions.StartEntrypoint(options.EntrypointCommand);
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            // A broken image command must not take the daemon down: the sandbox stays usable.
            logger.LogWarning("entrypoint {Command} could not start: {Reason}", string.Join(' ', options.EntrypointCommand), e.Message);
        }

        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_entrypoint is not { } entrypoint || entrypoint.Process.Completion.IsCompleted)
        {
            return;
        }

        entrypoint.Process.Terminate();
        try
        {
            await entrypoint.Process.Completion.WaitAsync(TimeSpan.FromSeconds(5), cancellationToken);
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException)
        {
            entrypoint.Process.KillTree();
        }
    }
}
