using System.Diagnostics;

namespace SandboxGrains.Testing;

/// <summary>A server the tests start themselves (redis-server, docker-registry): started with its output read, killed at the end.</summary>
internal static class ServerProcess
{
    /// <summary>Starts <paramref name="file"/>; each line it prints goes to <paramref name="onLine"/> (or nowhere).</summary>
    public static Process Start(string file, IEnumerable<string> arguments, Action<string>? onLine = null)
    {
        var info = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException($"{file} did not start");
        process.OutputDataReceived += (_, e) => Forward(e.Data);
        process.ErrorDataReceived += (_, e) => Forward(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;

        void Forward(string? line)
        {
            if (line is not null)
            {
                onLine?.Invoke(line);
            }
        }
    }

    /// <summary>Kills the process if it still runs, waits for it, and lets it go.</summary>
    public static async Task KillAsync(Process? process)
    {
        if (process is { HasExited: false })
        {
            process.Kill();
            await process.WaitForExitAsync();
        }

        process?.Dispose();
    }
}
