using System.Diagnostics;
using SandboxGrains.Daemon.Http;

namespace SandboxGrains.Daemon.Processes;

/// <summary>A running process whose output flows into an <see cref="OutputLog"/>; finishes once it exited and its output was read.</summary>
internal sealed class ChildProcess
{
    private readonly Process _process;

    // Held from the start: once the process exits it is disposed, and its StandardInput with it, while a caller may still
    // be about to write to it or close it (a git command that needs no input often ends first).
    private readonly StreamWriter _input;

    public ChildProcess(Process process, OutputLog log)
    {
        _process = process;
        _input = process.StandardInput;
        Log = log;
        Completion = RunAsync();
    }

    public int Pid => _process.Id;

    public OutputLog Log { get; }

    /// <summary>The exit code, once the process exited and all its output is in the log.</summary>
    public Task<int> Completion { get; }

    public int? ExitCode => Completion.IsCompletedSuccessfully ? Completion.Result : null;

    /// <summary>
    /// Waits for the exit code. After <paramref name="timeoutSeconds"/> (null or 0: no limit) the process and its
    /// descendants are killed and the caller gets Daytona's 408 <c>PROCESS_EXECUTION_TIMEOUT</c>; a caller that went
    /// away kills them too.
    /// </summary>
    public async Task<int> WaitAsync(int? timeoutSeconds, CancellationToken aborted)
    {
        CheckTimeout(timeoutSeconds);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(aborted);
        if (timeoutSeconds is > 0)
        {
            limit.CancelAfter(TimeSpan.FromSeconds(timeoutSeconds.Value));
        }

        try
        {
            return await Completion.WaitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            KillTree();
            if (aborted.IsCancellationRequested)
            {
                throw;
            }

            throw new DaemonError(408, "PROCESS_EXECUTION_TIMEOUT", "command execution timeout");
        }
    }

    /// <summary>Refuses a timeout that is neither absent, 0 (no limit) nor a positive number of seconds.</summary>
    public static void CheckTimeout(int? timeoutSeconds)
    {
        if (timeoutSeconds is < 0)
        {
            throw DaemonError.BadRequest("'timeout' must be 0 (no limit) or a positive number of seconds", "INVALID_TIMEOUT");
        }
    }

    public async Task WriteInputAsync(string data, CancellationToken cancellationToken)
    {
        await _input.WriteAsync(data.AsMemory(), cancellationToken);
        await _input.FlushAsync(cancellationToken);
    }

    /// <summary>Closes the process's standard input (nothing to do when the process is gone and its end with it).</summary>
    public void CloseInput()
    {
        try
        {
            _input.Close();
        }
        catch (IOException)
        {
        }
    }

    /// <summary>Kills the process and every descendant it still has.</summary>
    public void KillTree()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    /// <summary>Asks the process to stop (SIGTERM); callers escalate with <see cref="KillTree"/>.</summary>
    public void Terminate()
    {
        if (!_process.HasExited)
        {
            _ = Native.Libc.Kill(_process.Id, Native.Libc.SIGTERM);
        }
    }

    private async Task<int> RunAsync()
    {
        var stdout = PumpAsync(_process.StandardOutput.BaseStream, isStderr: false);
        var stderr = PumpAsync(_process.StandardError.BaseStream, isStderr: true);
        await _process.WaitForExitAsync();
        // A background job (`sleep 100 &`) keeps the pipes open after the process itself exited; the command is
        // still done, so wait only briefly for the last of its output.
        await Task.WhenAny(Task.WhenAll(stdout, stderr), Task.Delay(TimeSpan.FromMilliseconds(500)));
        var exitCode = _process.ExitCode;
        Log.Complete();
        _process.Dispose();
        return exitCode;
    }

    private async Task PumpAsync(Stream stream, bool isStderr)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer)) > 0)
            {
                Log.Append(isStderr, buffer.AsSpan(0, read));
            }
        }
        catch (IOException)
        {
            // The pipe broke because the process died; what was read is kept.
        }
    }
}
