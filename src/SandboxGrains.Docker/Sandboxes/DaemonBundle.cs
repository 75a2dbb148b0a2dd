using Microsoft.Extensions.Options;

namespace SandboxGrains.Docker.Sandboxes;

/// <summary>
/// The daemon bundle on this host: where it is, the folder mount-mode sandboxes bind, and its files (loaded once) for
/// copy injection.
/// </summary>
public sealed class DaemonBundle(IOptions<DaemonInjectionOptions> options)
{
    private readonly Lazy<string?> _folder = new(() => Locate(options.Value.BundlePath));
    private readonly Lazy<IReadOnlyList<ArchiveFile>> _files = new(() => Load(Locate(options.Value.BundlePath)));
    private readonly Lazy<string?> _mountFolder = new(() => Stage(Locate(options.Value.BundlePath)));

    /// <summary>The bundle's folder on this host, or null when it cannot be found.</summary>
    public string? Folder => _folder.Value;

    /// <summary>
    /// The folder to bind-mount: a copy named by the bundle's content hash, beside the bundle. Running daemons map their
    /// binary from the mount, and rebuilding the bundle rewrites files in place, which would crash every running sandbox
    /// with SIGBUS; a content-addressed copy is never rewritten. Falls back to the bundle itself where no copy can be made.
    /// </summary>
    public string RequireMountFolder()
    {
        RequireFolder();
        return _mountFolder.Value!;
    }

    /// <summary>Why the bundle is unusable, in words; null when it is fine.</summary>
    public string? Problem => Folder is null
        ? string.IsNullOrWhiteSpace(options.Value.BundlePath)
            ? "daemon bundle not found: run 'dotnet publish src/SandboxGrains.Daemon -c Release' in the repository or set Daemon:BundlePath"
            : $"daemon bundle not found at Daemon:BundlePath={options.Value.BundlePath} (it must contain sandboxd and lib/)"
        : null;

    /// <summary>The bundle's folder, or an exception saying how to make one.</summary>
    public string RequireFolder() => Folder ?? throw new ContainerRuntimeException(Problem!);

    /// <summary>Every bundle file with its mode, relative to the bundle folder.</summary>
    public IReadOnlyList<ArchiveFile> Files
    {
        get
        {
            RequireFolder();
            return _files.Value;
        }
    }

    private static string? Locate(string? configured)
    {
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return IsBundle(configured) ? Path.GetFullPath(configured) : null;
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "artifacts", "sandboxd");
            if (IsBundle(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    private static string? Stage(string? folder)
    {
        if (folder is null)
        {
            return null;
        }

        var files = Load(folder);
        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        foreach (var file in files)
        {
            hash.AppendData(System.Text.Encoding.UTF8.GetBytes(file.RelativePath + "\0"));
            hash.AppendData(file.Content.Span);
        }

        var version = Convert.ToHexStringLower(hash.GetHashAndReset())[..16];
        var staged = Path.Combine(Path.GetDirectoryName(folder)!, "sandboxd-versions", version);
        if (IsBundle(staged))
        {
            return staged;
        }

        try
        {
            // Written under a temporary name and renamed, so a half-written copy is never mounted.
            var temporary = $"{staged}.{Environment.ProcessId}.tmp";
            foreach (var file in files)
            {
                var target = Path.Combine(temporary, file.RelativePath);
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.WriteAllBytes(target, file.Content.ToArray());
                if (!OperatingSystem.IsWindows())
                {
                    File.SetUnixFileMode(target, file.Mode);
                }
            }

            try
            {
                Directory.Move(temporary, staged);
            }
            catch (IOException) when (IsBundle(staged))
            {
                // Another silo staged the same version first.
                Directory.Delete(temporary, recursive: true);
            }

            return staged;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return folder;
        }
    }

    private static bool IsBundle(string folder) =>
        File.Exists(Path.Combine(folder, "sandboxd")) && Directory.Exists(Path.Combine(folder, "lib"));

    private static List<ArchiveFile> Load(string? folder)
    {
        if (folder is null)
        {
            return [];
        }

        const UnixFileMode Executable = ArchiveFile.DefaultMode | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
        return [.. Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .Order(StringComparer.Ordinal)
            .Select(path => new ArchiveFile(
                Path.GetRelativePath(folder, path).Replace('\\', '/'),
                File.ReadAllBytes(path),
                Executable))];
    }
}
