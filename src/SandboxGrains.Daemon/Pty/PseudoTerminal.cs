using System.ComponentModel;
using System.Diagnostics;
using System.Runtime.InteropServices;
using SandboxGrains.Daemon.Native;
using SandboxGrains.Daemon.Processes;
using static SandboxGrains.Daemon.Native.PseudoTerminalCalls;

namespace SandboxGrains.Daemon.Pty;

/// <summary>
/// A real pseudo-terminal with a program running in it: <c>openpty</c>, then the program as the leader of a new session
/// whose controlling terminal is the terminal's slave side, so job control, Ctrl+C and window size changes reach it as
/// they would in a terminal emulator. .NET starts it (see <see cref="ProcessLauncher"/> for why nothing else may), by way
/// of <see cref="TerminalProgram"/>. The daemon keeps the master side; its reads and writes block, so callers run them
/// on threads of their own.
/// </summary>
internal sealed unsafe class PseudoTerminal : IDisposable
{
    private readonly Process _program;
    private int _master;

    private PseudoTerminal(int master, Process program)
    {
        _master = master;
        _program = program;
        Pid = program.Id;
    }

    /// <summary>The program's process id, which is also its session and process group id.</summary>
    public int Pid { get; }

    /// <summary>
    /// Opens a terminal of <paramref name="columns"/> × <paramref name="rows"/> and starts <paramref name="program"/>
    /// in it; throws <see cref="IOException"/> when either fails.
    /// </summary>
    public static PseudoTerminal Start(
        string program, IReadOnlyList<string> arguments, string directory, IReadOnlyDictionary<string, string> env,
        ushort columns, ushort rows, ProcessLauncher launcher)
    {
        var master = -1;
        try
        {
            var started = launcher.StartInTerminal(
                () =>
                {
                    var size = new WindowSize { Columns = columns, Rows = rows };
                    if (OpenPty(out master, out var slave, null, null, size) != 0)
                    {
                        throw new IOException($"openpty failed: {Marshal.GetLastPInvokeErrorMessage()}");
                    }

                    // The master side may not leak into any process (.NET's starts inherit what is not close-on-exec):
                    // a stray copy would keep the terminal open after its program exits.
                    _ = IoControl(master, FIOCLEX);
                    return slave;
                },
                program, arguments, directory, env);
            return new PseudoTerminal(master, started);
        }
        catch (Exception e) when (e is Win32Exception or InvalidOperationException or IOException)
        {
            if (master >= 0)
            {
                _ = Close(master);
            }

            if (e is IOException)
            {
                throw;
            }

            throw new IOException($"cannot start {program} in a terminal: {e.Message}", e);
        }
    }

    /// <summary>Blocks until the program exited; its exit code (128 + the signal when a signal ended it).</summary>
    public int WaitForExit()
    {
        _program.WaitForExit();
        var exitCode = _program.ExitCode;
        _program.Dispose();
        return exitCode;
    }

    /// <summary>Kills the program itself (its session may not exist yet: it makes it first thing, but after its start).</summary>
    public void KillProgram()
    {
        try
        {
            _program.Kill();
        }
        catch (InvalidOperationException)
        {
            // Already exited and reaped.
        }
    }

    /// <summary>Reads what the program wrote (blocking); 0 once the terminal is closed on the program's side.</summary>
    public int Read(Span<byte> buffer)
    {
        fixed (byte* bytes = buffer)
        {
            while (true)
            {
                var read = PseudoTerminalCalls.Read(_master, bytes, (nuint)buffer.Length);
                if (read >= 0)
                {
                    return (int)read;
                }

                // EIO: every process let go of the slave side (the program exited); anything else ends reading too.
                if (Marshal.GetLastPInvokeError() != EINTR)
                {
                    return 0;
                }
            }
        }
    }

    /// <summary>Types <paramref name="data"/> into the terminal (blocking while its input queue is full).</summary>
    public void Write(ReadOnlySpan<byte> data)
    {
        fixed (byte* bytes = data)
        {
            var done = 0;
            while (done < data.Length)
            {
                var written = PseudoTerminalCalls.Write(_master, bytes + done, (nuint)(data.Length - done));
                if (written < 0)
                {
                    if (Marshal.GetLastPInvokeError() == EINTR)
                    {
                        continue;
                    }

                    throw new IOException($"writing to the terminal failed: {Marshal.GetLastPInvokeErrorMessage()}");
                }

                done += (int)written;
            }
        }
    }

    /// <summary>Changes the window size; the kernel tells the program (SIGWINCH).</summary>
    public void Resize(ushort columns, ushort rows)
    {
        if (SetWindowSize(_master, TIOCSWINSZ, new WindowSize { Columns = columns, Rows = rows }) != 0)
        {
            throw new IOException($"resizing the terminal failed: {Marshal.GetLastPInvokeErrorMessage()}");
        }
    }

    /// <summary>Closes the master side (the daemon's end of the terminal).</summary>
    public void Dispose()
    {
        var master = Interlocked.Exchange(ref _master, -1);
        if (master >= 0)
        {
            _ = Close(master);
        }
    }
}
