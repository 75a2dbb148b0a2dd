using System.Collections.Concurrent;
using SandboxGrains.Daemon.Native;

namespace SandboxGrains.Daemon.Pty;

/// <summary>
/// A terminal session (<c>sandbox.process.createPty</c>): a shell in a <see cref="PseudoTerminal"/> that outlives the
/// WebSockets attached to it. Three threads of its own do the blocking work — one copies the terminal's output to every
/// attached client, one types the clients' input into it, one waits for the shell to exit — so a busy or stuck terminal
/// never holds a thread of the pool the HTTP server runs on. Output while nobody is attached is dropped, as on Daytona.
/// </summary>
internal sealed class PtySession(
    string id, string cwd, Dictionary<string, string> envs, ushort cols, ushort rows, bool lazyStart,
    Func<PseudoTerminal> start, Action<PtySession> ended)
{
    private readonly Lock _gate = new();
    private readonly List<PtyClient> _clients = [];
    private readonly BlockingCollection<byte[]> _input = [];
    private readonly TaskCompletionSource<int> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _outputCopied = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private PseudoTerminal? _terminal;

    // The reader and the writer each hold the terminal open; the last to stop closes it, so its descriptor is never
    // closed (and reused) under a blocked read or write.
    private int _terminalUsers = 2;

    public string Id { get; } = id;

    public DateTimeOffset CreatedAt { get; } = DateTimeOffset.UtcNow;

    /// <summary>The shell's exit code (128 + the signal when a signal ended it), once it exited.</summary>
    public Task<int> Exited => _exited.Task;

    public PtySessionInfo Info()
    {
        lock (_gate)
        {
            return new PtySessionInfo(Id, cwd, envs, cols, rows, CreatedAt, _terminal is not null && !Exited.IsCompleted, lazyStart);
        }
    }

    /// <summary>Starts the shell unless it runs already (a lazy session starts on its first connection).</summary>
    public void EnsureStarted()
    {
        PseudoTerminal terminal;
        lock (_gate)
        {
            if (_terminal is not null)
            {
                return;
            }

            terminal = _terminal = start();
        }

        Run($"pty {Id} output", () => CopyOutput(terminal));
        Run($"pty {Id} input", () => TypeInput(terminal));
        Run($"pty {Id} exit", () => AwaitExit(terminal));
    }

    /// <summary>Attaches a client; after an exit its queue is finished at once, so it learns the exit code.</summary>
    public PtyClient Attach(bool wantsExitControl)
    {
        var client = new PtyClient(wantsExitControl);
        lock (_gate)
        {
            if (Exited.IsCompleted)
            {
                client.Finish(PtyClientEnd.Exited);
            }
            else
            {
                _clients.Add(client);
            }
        }

        return client;
    }

    public void Detach(PtyClient client, PtyClientEnd end)
    {
        lock (_gate)
        {
            _clients.Remove(client);
        }

        client.Finish(end);
    }

    /// <summary>Queues keystrokes (or pasted text) for the terminal.</summary>
    public void Type(byte[] data)
    {
        if (!_input.IsAddingCompleted)
        {
            try
            {
                _input.Add(data);
            }
            catch (InvalidOperationException)
            {
                // The shell exited meanwhile: nobody would read it.
            }
        }
    }

    public PtySessionInfo Resize(ushort newCols, ushort newRows)
    {
        lock (_gate)
        {
            if (_terminal is null || Exited.IsCompleted)
            {
                throw new Http.DaemonError(410, "PTY_NOT_ACTIVE", $"PTY session {Id} is not running, so it cannot be resized");
            }

            _terminal.Resize(newCols, newRows);
            cols = newCols;
            rows = newRows;
        }

        return Info();
    }

    /// <summary>
    /// Kills the shell and everything in its session, background jobs included (an interactive shell puts each job in a
    /// process group of its own, so killing the shell's group alone would leave them).
    /// </summary>
    public void Kill()
    {
        PseudoTerminal? terminal;
        lock (_gate)
        {
            terminal = _terminal;
        }

        if (terminal is null || Exited.IsCompleted)
        {
            return;
        }

        // The program through .NET, which knows whether that pid is still its child; the rest of its session by pid.
        terminal.KillProgram();
        foreach (var process in ProcessTable.Read().Where(p => p.Session == terminal.Pid && p.Pid != terminal.Pid))
        {
            _ = Libc.Kill(process.Pid, Libc.SIGKILL);
        }
    }

    private void CopyOutput(PseudoTerminal terminal)
    {
        var buffer = new byte[32 * 1024];
        int read;
        while ((read = terminal.Read(buffer)) > 0)
        {
            var chunk = buffer[..read];
            List<PtyClient> slow = [];
            lock (_gate)
            {
                foreach (var client in _clients)
                {
                    if (!client.Output.Writer.TryWrite(chunk))
                    {
                        slow.Add(client);
                    }
                }
            }

            foreach (var client in slow)
            {
                Detach(client, PtyClientEnd.TooSlow);
            }
        }

        _outputCopied.TrySetResult();
        ReleaseTerminal(terminal);
    }

    private void TypeInput(PseudoTerminal terminal)
    {
        try
        {
            foreach (var data in _input.GetConsumingEnumerable())
            {
                terminal.Write(data);
            }
        }
        catch (IOException)
        {
            // The terminal is gone; the exit waiter reports why.
        }

        ReleaseTerminal(terminal);
    }

    private void AwaitExit(PseudoTerminal terminal)
    {
        var exitCode = terminal.WaitForExit();
        _input.CompleteAdding();
        // The shell's last words (a "logout", an error) are still in the terminal: pass them on before saying it exited.
        // A background job that kept the terminal open would hold them back for ever, so not longer than a second.
        _outputCopied.Task.Wait(TimeSpan.FromSeconds(1));
        List<PtyClient> clients;
        lock (_gate)
        {
            _exited.TrySetResult(exitCode);
            clients = [.. _clients];
            _clients.Clear();
        }

        foreach (var client in clients)
        {
            client.Finish(PtyClientEnd.Exited);
        }

        ended(this);
    }

    private void ReleaseTerminal(PseudoTerminal terminal)
    {
        if (Interlocked.Decrement(ref _terminalUsers) == 0)
        {
            terminal.Dispose();
        }
    }

    private static void Run(string name, Action work) => new Thread(() => work()) { IsBackground = true, Name = name }.Start();
}
