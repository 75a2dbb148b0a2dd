using System.Runtime.InteropServices;

namespace SandboxGrains.Daemon.Native;

/// <summary>The few libc calls .NET does not wrap: reaping orphans, ownership, FIFOs.</summary>
internal static partial class Libc
{
    public const int WNOHANG = 1;

    [LibraryImport("libc", EntryPoint = "waitpid", SetLastError = true)]
    public static partial int WaitPid(int pid, out int status, int options);

    [LibraryImport("libc", EntryPoint = "chown", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Chown(string path, int owner, int group);

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    public static partial int Kill(int pid, int signal);

    public const int SIGTERM = 15;
    public const int SIGKILL = 9;
}
