namespace SandboxGrains.Daemon.Processes;

/// <summary>
/// Finds a program on a PATH, as a shell would. We resolve it ourselves because .NET would look on the daemon's own
/// PATH rather than the one the process gets, and because a missing interpreter deserves an error that names it.
/// </summary>
internal static class ExecutableSearch
{
    /// <summary>The PATH of images that set none (Docker's default for Linux containers).</summary>
    public const string DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    /// <summary>The full path of the first of <paramref name="names"/> found on <paramref name="path"/>, or null.</summary>
    public static string? Find(string? path, params string[] names)
    {
        var directories = (string.IsNullOrEmpty(path) ? DefaultPath : path).Split(':', StringSplitOptions.RemoveEmptyEntries);
        foreach (var name in names)
        {
            foreach (var directory in directories)
            {
                var candidate = Path.Combine(directory, name);
                if (File.Exists(candidate) && (File.GetUnixFileMode(candidate) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0)
                {
                    return candidate;
                }
            }
        }

        return null;
    }

    /// <summary>
    /// The first of <paramref name="names"/> found on <paramref name="path"/>; else a 400 with <paramref name="code"/>
    /// saying that <paramref name="purpose"/> needs it and where we looked.
    /// </summary>
    public static string Require(string? path, string purpose, string code, params string[] names) =>
        Find(path, names) ?? throw Http.DaemonError.BadRequest(
            $"{purpose} needs {string.Join(" or ", names)}, and this sandbox's image has none on its PATH ({path ?? DefaultPath}): " +
            "install it in the image or create the sandbox from one that has it",
            code);
}
