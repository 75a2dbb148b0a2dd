namespace SandboxGrains.Grains.Sandboxes;

/// <summary>
/// Whether a started sandbox is still what it says: the check every few seconds while it is started (and only then),
/// the count of checks in a row that found its daemon silent, and what one look at the container means. The grain looks
/// through its runner and records the verdict; Docker events of the container get the same look at once.
/// </summary>
internal sealed class SandboxHealth
{
    /// <summary>How often a started sandbox checks that its container runs and its daemon answers.</summary>
    internal static readonly TimeSpan CheckPeriod = TimeSpan.FromSeconds(3);

    /// <summary>Checks in a row a running container's daemon may stay silent before the sandbox is put in error.</summary>
    internal const int SilentChecksBeforeError = 3;

    /// <summary>The error reason of a sandbox whose container is gone.</summary>
    internal const string ContainerGone = "the container was removed outside SandboxGrains";

    private IGrainTimer? _timer;

    // Checks in a row that found the container running and its daemon silent.
    private int _silentChecks;

    /// <summary>The last look found the runner's silo alive but its Docker engine silent.</summary>
    public bool EngineUnavailable { get; private set; }

    /// <summary>Runs <paramref name="check"/> on <paramref name="grain"/> every period while <paramref name="started"/>; stops it when not.</summary>
    public void Follow(IGrainBase grain, bool started, Func<CancellationToken, Task> check)
    {
        if (started && _timer is null)
        {
            _timer = grain.RegisterGrainTimer(check, new GrainTimerCreationOptions(CheckPeriod, CheckPeriod) { KeepAlive = true });
        }
        else if (!started && _timer is not null)
        {
            _timer.Dispose();
            _timer = null;
        }
    }

    /// <summary>The daemon answered (at create, start, or a look): silence counts from zero again.</summary>
    public void DaemonAnswered() => _silentChecks = 0;

    /// <summary>
    /// Looks at the container through <paramref name="ensureDaemon"/> (the runner restarts a dead daemon where it can)
    /// and says what that means for the sandbox, now <paramref name="info"/>.
    /// </summary>
    public async Task<HealthVerdict> LookAsync(SandboxInfo info, Func<string, Task<SandboxContainer>> ensureDaemon)
    {
        SandboxContainer seen;
        try
        {
            seen = info.ContainerId is null
                ? new SandboxContainer("", false, false, ContainerGone, null, null)
                : await ensureDaemon(info.ContainerId);
        }
        catch (SandboxException e) when (e.Code == SandboxErrorCodes.ContainerNotFound)
        {
            seen = new SandboxContainer(info.ContainerId!, false, false, ContainerGone, null, null);
        }
        catch (SandboxException e) when (e.Code is SandboxErrorCodes.RunnerUnreachable or SandboxErrorCodes.DockerUnavailable)
        {
            // Not knowing is not the same as gone: keep the last known state until the runner answers again.
            EngineUnavailable = e.Code == SandboxErrorCodes.DockerUnavailable;
            return HealthVerdict.Unchanged;
        }

        EngineUnavailable = false;
        return Judge(info, seen);
    }

    private HealthVerdict Judge(SandboxInfo info, SandboxContainer seen)
    {
        if (!seen.Exists)
        {
            return new HealthVerdict.Changed(info with { State = SandboxState.Error, ErrorReason = ContainerGone }, ContainerRuns: false);
        }

        if (!seen.Running)
        {
            var oom = seen.ExitReason?.Contains("out of memory", StringComparison.Ordinal) == true;
            return new HealthVerdict.Changed(
                oom
                    ? info with { State = SandboxState.Error, ErrorReason = $"the container was {seen.ExitReason}" }
                    : info with { State = SandboxState.Stopped, ErrorReason = null },
                ContainerRuns: false);
        }

        if (seen.IsServing)
        {
            return new HealthVerdict.Serving(seen);
        }

        // A daemon that misses one probe on a host under load (hundreds of sandboxes starting at once) is busy, not
        // broken; calling the sandbox broken would refuse its previews and toolbox on every silo. Only a daemon silent
        // for several checks in a row, with its container running, puts the sandbox in error.
        if (info.State is SandboxState.Started or SandboxState.Pooled && ++_silentChecks < SilentChecksBeforeError)
        {
            return HealthVerdict.Unchanged;
        }

        return new HealthVerdict.Changed(
            info with { State = SandboxState.Error, ErrorReason = "the container runs but its daemon does not answer" }, ContainerRuns: true);
    }
}
