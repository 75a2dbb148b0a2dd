using System.Runtime.InteropServices;
using System.Text;
using static SandboxGrains.Daemon.Native.PseudoTerminalCalls;

namespace SandboxGrains.Daemon.Pty;

/// <summary>
/// <c>sandboxd --in-terminal FD PROGRAM ARGS...</c>: how a pseudo-terminal's program starts. The daemon starts this
/// through .NET (<see cref="Processes.ProcessLauncher.StartInTerminal"/>) with the terminal's slave side as FD; it makes
/// a session of its own whose controlling terminal that is, puts it on stdin, stdout and stderr, gives every signal its
/// default action back, and execs PROGRAM. PROGRAM keeps the process id .NET waits for, so its exit status reaches the
/// daemon however many other children exit at the same time.
/// </summary>
internal static unsafe class TerminalProgram
{
    public const string Flag = "--in-terminal";

    /// <summary>Becomes PROGRAM; returns (an exit code) only when that fails.</summary>
    public static int Run(string[] arguments)
    {
        if (arguments is not [var fdText, var program, ..] || !int.TryParse(fdText, out var terminal))
        {
            Console.Error.WriteLine($"usage: sandboxd {Flag} FD PROGRAM [ARGS...]");
            return 2;
        }

        if (SetSession() < 0 || IoControl(terminal, TIOCSCTTY, 0) != 0)
        {
            return Fail($"cannot make {program}'s terminal its own");
        }

        for (var stream = 0; stream <= 2; stream++)
        {
            if (Duplicate(terminal, stream) < 0)
            {
                return Fail($"cannot put {program} on its terminal");
            }
        }

        if (terminal > 2)
        {
            _ = Close(terminal);
        }

        // An ignored signal stays ignored across exec, and .NET ignores SIGPIPE, which a shell's pipelines need; a
        // blocked one stays blocked. The program gets what a terminal emulator's would.
        for (var signal = 1; signal <= SIGRTMAX; signal++)
        {
            _ = SetSignalHandler(signal, SIG_DFL);
        }

        var noSignals = stackalloc byte[SignalSetSize];
        _ = SignalSetEmpty(noSignals);
        _ = SetSignalMask(SIG_SETMASK, noSignals, null);

        var argv = stackalloc byte*[arguments.Length];
        for (var i = 1; i < arguments.Length; i++)
        {
            argv[i - 1] = Utf8(arguments[i]);
        }

        argv[arguments.Length - 1] = null;
        _ = Execute(argv[0], argv);
        return Fail($"cannot run {program}");
    }

    /// <summary>Says why on stderr (the terminal once it is ours, so the client sees it) and returns 127, as a shell does.</summary>
    private static int Fail(string what)
    {
        Console.Error.WriteLine($"sandboxd: {what}: {Marshal.GetLastPInvokeErrorMessage()}");
        return 127;
    }

    // Never freed: the process either becomes the program or exits.
    private static byte* Utf8(string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        var copy = (byte*)NativeMemory.Alloc((nuint)bytes.Length + 1);
        bytes.CopyTo(new Span<byte>(copy, bytes.Length));
        copy[bytes.Length] = 0;
        return copy;
    }
}
