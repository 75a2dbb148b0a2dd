using SandboxGrains.Daemon.Http;

namespace SandboxGrains.Daemon.Files;

/// <summary>Turns the paths callers send into absolute paths: relative ones are taken from the work dir.</summary>
internal static class FilePaths
{
    public static string Resolve(string? path, DaemonOptions options, string parameter = "path")
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            throw DaemonError.MissingParameter(parameter);
        }

        if (path.Contains('\0', StringComparison.Ordinal))
        {
            throw DaemonError.BadRequest($"{parameter} contains a NUL character", "INVALID_FILE_PATH");
        }

        return Path.GetFullPath(path, options.WorkDir);
    }

    public static FileSystemInfo Existing(string path)
    {
        if (Directory.Exists(path))
        {
            return new DirectoryInfo(path);
        }

        if (File.Exists(path))
        {
            return new FileInfo(path);
        }

        throw DaemonError.NotFound($"file not found: {path}", "FILE_NOT_FOUND");
    }

    public static FileInfo ExistingFile(string path)
    {
        if (Directory.Exists(path))
        {
            throw DaemonError.BadRequest($"{path} is a directory, not a file", "INVALID_FILE_PATH");
        }

        return File.Exists(path) ? new FileInfo(path) : throw DaemonError.NotFound($"file not found: {path}", "FILE_NOT_FOUND");
    }

    /// <summary>
    /// Writes <paramref name="content"/> to <paramref name="path"/> through a temporary file in the same folder, so a
    /// failed or abandoned upload never leaves a partial file under the final name.
    /// </summary>
    public static async Task<long> WriteAtomicallyAsync(string path, Stream content, CancellationToken cancellationToken)
    {
        if (Directory.Exists(path))
        {
            throw DaemonError.BadRequest($"{path} is a directory; give a file path", "INVALID_FILE_PATH");
        }

        var folder = Path.GetDirectoryName(path) ?? "/";
        Directory.CreateDirectory(folder);
        var temporary = Path.Combine(folder, $".{Path.GetFileName(path)}.sandboxd-{Guid.NewGuid():N}.part");
        try
        {
            long written;
            await using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, FileOptions.Asynchronous))
            {
                await content.CopyToAsync(file, 81920, cancellationToken);
                written = file.Length;
            }

            File.Move(temporary, path, overwrite: true);
            return written;
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }
}
