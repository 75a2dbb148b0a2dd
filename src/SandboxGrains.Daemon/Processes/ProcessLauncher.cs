using System.Diagnostics;
using SandboxGrains.Daemon.Native;
using SandboxGrains.Daemon.Pty;

namespace SandboxGrains.Daemon.Processes;

/// <summary>
/// Starts every process the daemon runs, and remembers which ones .NET is waiting for, so the orphan reaper (when we
/// are PID 1) never steals an exit status .NET needs.
/// </summary>
/// <remarks>
/// Every child whose exit status the daemon needs must be started through .NET's <see cref="Process"/>, terminals'
/// programs included. As PID 1, .NET reaps every child it did not start itself: on each SIGCHLD its signal thread
/// (System.Native's pal_signal.c, then ProcessWaitState.CheckChildren with reapAll) calls <c>wait4(-1, WNOHANG)</c>
/// until none is left and drops the statuses it has no <see cref="Process"/> for. A thread of ours waiting for a child
/// started any other way (posix_spawn) races it and sometimes gets ECHILD instead of the status; no way of waiting
/// (WNOWAIT included) wins that race every time, so only .NET waits for the daemon's children.
/// </remarks>
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
        var info = NewStartInfo(file, arguments, workingDirectory ?? Options.WorkDir, Environment.For(env));
        info.RedirectStandardInput = true;
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        Process process;
        lock (_gate)
        {
            process = StartTracked(info);
        }

        return new ChildProcess(process, log);
    }

    /// <summary>
    /// Starts <paramref name="program"/> on a pseudo-terminal as the leader of a session of its own. It starts as
    /// <c>sandboxd --in-terminal</c> (<see cref="TerminalProgram"/>), which makes that session and then becomes the
    /// program: .NET cannot start a session leader, and only a process .NET started keeps its exit status (see above).
    /// <paramref name="openTerminal"/> opens the terminal and returns its slave side, which is closed here once the
    /// program has its own copy.
    /// </summary>
    public Process StartInTerminal(
        Func<int> openTerminal, string program, IReadOnlyList<string> arguments, string directory, IReadOnlyDictionary<string, string> env)
    {
        var self = System.Environment.ProcessPath ?? throw new IOException("cannot tell where sandboxd runs from");
        lock (_gate)
        {
            var slave = openTerminal();
            try
            {
                // Inheritable only while no other process can start, so no other child holds the terminal open.
                _ = PseudoTerminalCalls.IoControl(slave, PseudoTerminalCalls.FIONCLEX);
                var inTerminal = new[] { TerminalProgram.Flag, slave.ToString(System.Globalization.CultureInfo.InvariantCulture), program }.Concat(arguments);
                return StartTracked(NewStartInfo(self, inTerminal, directory, env));
            }
            finally
            {
                _ = PseudoTerminalCalls.Close(slave);
            }
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

    private static ProcessStartInfo NewStartInfo(string file, IEnumerable<string> arguments, string workingDirectory, IReadOnlyDictionary<string, string> env)
    {
        var info = new ProcessStartInfo(file) { UseShellExecute = false, WorkingDirectory = workingDirectory };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment.Clear();
        foreach (var (key, value) in env)
        {
            info.Environment[key] = value;
        }

        return info;
    }

    /// <summary>Starts <paramref name="info"/> and tracks the process until .NET reaped it; the caller holds the gate.</summary>
    private Process StartTracked(ProcessStartInfo info)
    {
        // Subscribed before the start, so an exit is never missed; it takes the gate, so it waits for pid to be known.
        var pid = 0;
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        process.Exited += (_, _) => { lock (_gate) { _tracked.Remove(pid); } };
        process.Start();
        pid = process.Id;
        _tracked.Add(pid);
        return process;
    }
}
