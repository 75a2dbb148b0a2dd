using System.Runtime.InteropServices;
using System.Text;
using SandboxGrains.Daemon.Native;
using static SandboxGrains.Daemon.Native.PseudoTerminalCalls;

namespace SandboxGrains.Daemon.Pty;

/// <summary>
/// A real pseudo-terminal with a program running in it: <c>openpty</c>, then <c>posix_spawn</c> of the program as the
/// leader of a new session whose controlling terminal is the terminal's slave side, so job control, Ctrl+C and window
/// size changes reach it as they would in a terminal emulator. posix_spawn rather than forkpty: forking a .NET process
/// and running code in the child before exec is not safe, while posix_spawn does setsid, open and chdir in the child
/// for us. The daemon keeps the master side; its reads and writes block, so callers run them on threads of their own.
/// </summary>
internal sealed unsafe class PseudoTerminal : IDisposable
{
    private int _master;

    private PseudoTerminal(int master, int pid)
    {
        _master = master;
        Pid = pid;
    }

    /// <summary>The program's process id, which is also its session and process group id.</summary>
    public int Pid { get; }

    /// <summary>
    /// Opens a terminal of <paramref name="columns"/> × <paramref name="rows"/> and starts <paramref name="program"/>
    /// in it. <paramref name="startUntracked"/> runs the open and the spawn (the launcher's, so the orphan reaper and
    /// .NET's own process starts keep out of the way); throws <see cref="IOException"/> when either fails.
    /// </summary>
    public static PseudoTerminal Start(
        string program, IReadOnlyList<string> arguments, string directory, IReadOnlyDictionary<string, string> env,
        ushort columns, ushort rows, Func<Func<int>, int> startUntracked)
    {
        var master = -1;
        var pid = startUntracked(() =>
        {
            var size = new WindowSize { Columns = columns, Rows = rows };
            if (OpenPty(out master, out var slave, null, null, size) != 0)
            {
                throw new IOException($"openpty failed: {Marshal.GetLastPInvokeErrorMessage()}");
            }

            try
            {
                // Neither side may leak into a process another request starts (.NET's own starts included): a stray
                // copy of the slave would keep the terminal open after its program exits.
                _ = IoControl(master, FIOCLEX);
                _ = IoControl(slave, FIOCLEX);
                return SpawnInto(master, program, arguments, directory, env);
            }
            catch
            {
                _ = Close(master);
                throw;
            }
            finally
            {
                _ = Close(slave);
            }
        });
        return new PseudoTerminal(master, pid);
    }

    private static int SpawnInto(int master, string program, IReadOnlyList<string> arguments, string directory, IReadOnlyDictionary<string, string> env)
    {
        var slavePath = stackalloc byte[128];
        if (PtsNameR(master, slavePath, 128) != 0)
        {
            throw new IOException($"ptsname_r failed: {Marshal.GetLastPInvokeErrorMessage()}");
        }

        var attributes = NativeMemory.AllocZeroed(OpaqueSize);
        var actions = NativeMemory.AllocZeroed(OpaqueSize);
        var noSignals = NativeMemory.AllocZeroed(OpaqueSize);
        var allSignals = NativeMemory.AllocZeroed(OpaqueSize);
        using var strings = new NativeStrings();
        try
        {
            _ = AttributesInit(attributes);
            _ = FileActionsInit(actions);
            // A new session, so opening the terminal below makes it the session's controlling terminal; no blocked
            // signals, and every signal's default action (the daemon ignores SIGPIPE, which a shell's pipes need).
            _ = SignalSetEmpty(noSignals);
            _ = SignalSetFill(allSignals);
            _ = AttributesSetFlags(attributes, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
            _ = AttributesSetSignalMask(attributes, noSignals);
            _ = AttributesSetSignalDefault(attributes, allSignals);
            _ = FileActionsAddChdir(actions, strings.Add(directory));
            _ = FileActionsAddOpen(actions, 0, slavePath, O_RDWR, 0);
            _ = FileActionsAddDup2(actions, 0, 1);
            _ = FileActionsAddDup2(actions, 0, 2);
            var argv = strings.Array([program, .. arguments]);
            var envp = strings.Array([.. env.Select(e => $"{e.Key}={e.Value}")]);
            var error = Spawn(out var pid, strings.Add(program), actions, attributes, argv, envp);
            return error == 0 ? pid : throw new IOException($"cannot start {program} in a terminal: {Marshal.GetPInvokeErrorMessage(error)}");
        }
        finally
        {
            _ = FileActionsDestroy(actions);
            _ = AttributesDestroy(attributes);
            NativeMemory.Free(attributes);
            NativeMemory.Free(actions);
            NativeMemory.Free(noSignals);
            NativeMemory.Free(allSignals);
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

    /// <summary>NUL-terminated UTF-8 copies of strings, and NULL-terminated arrays of them, freed together.</summary>
    private sealed class NativeStrings : IDisposable
    {
        private readonly List<nint> _allocations = [];

        public byte* Add(string value)
        {
            var bytes = Encoding.UTF8.GetBytes(value);
            var copy = (byte*)NativeMemory.Alloc((nuint)bytes.Length + 1);
            bytes.CopyTo(new Span<byte>(copy, bytes.Length));
            copy[bytes.Length] = 0;
            _allocations.Add((nint)copy);
            return copy;
        }

        public byte** Array(IReadOnlyList<string> values)
        {
            var array = (byte**)NativeMemory.Alloc((nuint)(values.Count + 1), (nuint)sizeof(byte*));
            _allocations.Add((nint)array);
            for (var i = 0; i < values.Count; i++)
            {
                array[i] = Add(values[i]);
            }

            array[values.Count] = null;
            return array;
        }

        public void Dispose()
        {
            foreach (var allocation in _allocations)
            {
                NativeMemory.Free((void*)allocation);
            }
        }
    }
}
