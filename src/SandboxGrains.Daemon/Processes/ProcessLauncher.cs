using System.Diagnostics;

namespace SandboxGrains.Daemon.Processes;

/// <summary>
/// Starts every process the daemon runs, and remembers which ones .NET is waiting for, so the orphan reaper (when we
/// are PID 1) never steals an exit status .NET needs.
/// </summary>
internal sealed class ProcessLauncher(DaemonOptions options)
{
    private readonly Lock _gate = new();
    private readonly HashSet<int> _tracked = [];

    /// <summary>The shell commands run under; null when the image has none.</summary>
    public static string? Shell { get; } = new[] { "/bin/sh", "/usr/bin/sh", "/bin/bash", "/busybox/sh" }.FirstOrDefault(File.Exists);

    public DaemonOptions Options { get; } = options;

    /// <summary>The environment every process starts with (a claim's and <c>POST /env</c>'s changes included).</summary>
    public ProcessEnvironment Environment { get; } = new(new ClaimedEnvironment(options.ClaimFile));

    /// <summary>The environment a warm pool's claim gave this sandbox (empty until claimed).</summary>
    public ClaimedEnvironment Claimed => Environment.Claimed;

    /// <summary>Starts a process with redirected stdin/stdout/stderr and pumps its output into <paramref name="log"/>.</summary>
    public ChildProcess Start(string file, IEnumerable<string> arguments, string? workingDirectory, IReadOnlyDictionary<string, string>? env, OutputLog log)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Options.WorkDir,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        var environment = Environment.For(env);
        info.Environment.Clear();
        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        Process process;
        lock (_gate)
        {
            process = new Process { StartInfo = info, EnableRaisingEvents = true };
            process.Start();
            _tracked.Add(process.Id);
        }

        var pid = process.Id;
        process.Exited += (_, _) => { lock (_gate) { _tracked.Remove(pid); } };
        return new ChildProcess(process, log);
    }

    /// <summary>
    /// Runs <paramref name="spawn"/> (a process start .NET does not see, such as a pseudo-terminal's) so the orphan reaper
    /// leaves the new process to its caller, who reaps it and then calls <see cref="Forget"/>.
    /// </summary>
    public int StartUntracked(Func<int> spawn)
    {
        lock (_gate)
        {
            var pid = spawn();
            _tracked.Add(pid);
            return pid;
        }
    }

    /// <summary>Hands a process started by <see cref="StartUntracked"/> back to the reaper's care once its caller reaped it.</summary>
    public void Forget(int pid)
    {
        lock (_gate)
        {
            _tracked.Remove(pid);
        }
    }

    /// <summary>True when .NET started <paramref name="pid"/> and will reap it itself.</summary>
    public bool IsTracked(int pid)
    {
        lock (_gate)
        {
            return _tracked.Contains(pid);
        }
    }

    /// <summary>Runs <paramref name="action"/> while no process can be started, so a fresh child is never mistaken for an orphan.</summary>
    public void WithStartsPaused(Action action)
    {
        lock (_gate)
        {
            action();
        }
    }
}
