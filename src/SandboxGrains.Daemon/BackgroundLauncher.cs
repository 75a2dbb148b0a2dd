using System.Diagnostics;
using SandboxGrains.Daemon.Native;

namespace SandboxGrains.Daemon;

/// <summary>
/// <c>sandboxd --background</c>: what <c>docker exec</c> runs for copy and none injection. It retires any earlier
/// sandboxd of the same binary in this container (one left by a lost grain state holds the port with an old secret),
/// then re-launches itself on its own stdio pipes, which close when this process exits, so the exec ends at once.
/// </summary>
internal static class BackgroundLauncher
{
    private const int SigTerm = 15;
    private const int SigKill = 9;

    public static int Start(string[] arguments)
    {
        var self = Environment.ProcessPath ?? throw new InvalidOperationException("cannot tell where sandboxd runs from");
        RetireEarlierDaemons(self);

        var info = new ProcessStartInfo(self)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException("sandboxd could not start itself");
        return process.Id;
    }

    private static void RetireEarlierDaemons(string self)
    {
        var earlier = Directory.EnumerateDirectories("/proc")
            .Select(d => int.TryParse(Path.GetFileName(d), out var pid) ? pid : 0)
            .Where(pid => pid > 1 && pid != Environment.ProcessId && RunsBinary(pid, self))
            .ToList();
        foreach (var pid in earlier)
        {
            Libc.Kill(pid, SigTerm);
        }

        var deadline = Stopwatch.StartNew();
        while (earlier.Any(pid => Directory.Exists($"/proc/{pid}") && !IsZombie(pid)) && deadline.Elapsed < TimeSpan.FromSeconds(3))
        {
            Thread.Sleep(20);
        }

        foreach (var pid in earlier.Where(pid => Directory.Exists($"/proc/{pid}")))
        {
            Libc.Kill(pid, SigKill);
        }
    }

    private static bool RunsBinary(int pid, string self)
    {
        try
        {
            var commandLine = File.ReadAllText($"/proc/{pid}/cmdline");
            return commandLine.Split('\0')[0] == self;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static bool IsZombie(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].StartsWith('Z');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return true;
        }
    }
}
