using SandboxGrains.Daemon.Http;

namespace SandboxGrains.Daemon.Processes;

/// <summary>The directory a caller asks a process to start in: relative to the work dir, and one that exists.</summary>
internal static class WorkingDirectory
{
    public static string Resolve(string? given, DaemonOptions options)
    {
        var cwd = given is { Length: > 0 } ? Path.GetFullPath(given, options.WorkDir) : options.WorkDir;
        return Directory.Exists(cwd) ? cwd : throw DaemonError.BadRequest($"cwd {cwd} does not exist or is not a directory", "INVALID_CWD");
    }
}
