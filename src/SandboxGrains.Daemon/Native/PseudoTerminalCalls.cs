using System.Runtime.InteropServices;

namespace SandboxGrains.Daemon.Native;

/// <summary>
/// The libc calls behind a pseudo-terminal: <c>openpty</c>, the window-size ioctl, raw <c>read</c>/<c>write</c>/<c>close</c>
/// on the master side, and what its program does to itself before <c>execv</c> (a session of its own, the terminal as
/// its controlling terminal). They resolve in the glibc the daemon's bundle carries, so they work in any image (musl or
/// no libc at all).
/// </summary>
internal static unsafe partial class PseudoTerminalCalls
{
    /// <summary>struct winsize: rows, columns, and two pixel sizes nobody uses.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct WindowSize
    {
        public ushort Rows;
        public ushort Columns;
        public ushort XPixels;
        public ushort YPixels;
    }

    public const uint TIOCSWINSZ = 0x5414;
    public const uint TIOCSCTTY = 0x540E;
    public const uint FIONCLEX = 0x5450;
    public const uint FIOCLEX = 0x5451;
    public const int EINTR = 4;
    public const int SIG_SETMASK = 2;
    public const int SIGRTMAX = 64;
    public const nint SIG_DFL = 0;

    /// <summary>Room for glibc's sigset_t (128 bytes).</summary>
    public const int SignalSetSize = 128;

    [LibraryImport("libc", EntryPoint = "openpty", SetLastError = true)]
    public static partial int OpenPty(out int master, out int slave, byte* name, void* termios, in WindowSize size);

    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    public static partial int SetWindowSize(int fd, nuint request, in WindowSize size);

    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    public static partial int IoControl(int fd, nuint request);

    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    public static partial int IoControl(int fd, nuint request, int argument);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    public static partial nint Read(int fd, byte* buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    public static partial nint Write(int fd, byte* buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "setsid", SetLastError = true)]
    public static partial int SetSession();

    [LibraryImport("libc", EntryPoint = "dup2", SetLastError = true)]
    public static partial int Duplicate(int fd, int newFd);

    [LibraryImport("libc", EntryPoint = "signal", SetLastError = true)]
    public static partial nint SetSignalHandler(int signal, nint handler);

    [LibraryImport("libc", EntryPoint = "sigemptyset")]
    public static partial int SignalSetEmpty(void* set);

    [LibraryImport("libc", EntryPoint = "sigprocmask", SetLastError = true)]
    public static partial int SetSignalMask(int how, void* set, void* old);

    [LibraryImport("libc", EntryPoint = "execv", SetLastError = true)]
    public static partial int Execute(byte* path, byte** argv);
}
