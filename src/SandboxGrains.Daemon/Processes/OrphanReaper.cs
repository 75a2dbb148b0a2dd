using SandboxGrains.Daemon.Native;

namespace SandboxGrains.Daemon.Processes;

/// <summary>
/// As a container's PID 1 the daemon inherits every orphaned process; their zombies must be reaped or the process
/// table fills up. Children .NET started are left to .NET (it needs their exit codes, and fails fast when another
/// reaper took one); everything else is reaped here. Once .NET started a process its own SIGCHLD handling reaps orphans
/// too (see <see cref="ProcessLauncher"/>); this covers the time before that.
/// </summary>
internal sealed class OrphanReaper(ProcessLauncher launcher) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (Environment.ProcessId != 1)
        {
            return;
        }

        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(500));
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            ReapOnce();
        }
    }

    /// <summary>Reaps every zombie child of ours that .NET does not track; returns how many.</summary>
    public int ReapOnce()
    {
        var reaped = 0;
        foreach (var pid in ZombieChildren())
        {
            launcher.WithStartsPaused(() =>
            {
                if (!launcher.IsTracked(pid) && Libc.WaitPid(pid, out _, Libc.WNOHANG) == pid)
                {
                    reaped++;
                }
            });
        }

        return reaped;
    }

    private static IEnumerable<int> ZombieChildren()
    {
        var self = Environment.ProcessId;
        return ProcessTable.Read().Where(p => p.State == 'Z' && p.Parent == self).Select(p => p.Pid);
    }
}
