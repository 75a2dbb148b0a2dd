using System.Globalization;
using SandboxGrains.Daemon.Http;

namespace SandboxGrains.Daemon.Files;

/// <summary>Builds Daytona's <c>FileInfo</c> for a path, with owner and group names from /etc/passwd and /etc/group.</summary>
internal static class FileDescriber
{
    public static FileInfoDto Describe(FileSystemInfo info)
    {
        var isDir = info is DirectoryInfo;
        var mode = info.UnixFileMode;
        var (uid, gid) = Native.FileOwner.Get(info.FullName);
        var modified = info.LastWriteTimeUtc;
        return new FileInfoDto(
            Name: info.Name,
            Size: info is FileInfo file ? file.Length : 0,
            Mode: ModeString(isDir, info.LinkTarget is not null, mode),
            ModTime: modified.ToString("yyyy-MM-dd HH:mm:ss.fffffff +0000 'UTC'", CultureInfo.InvariantCulture),
            ModifiedAt: modified.ToString("O", CultureInfo.InvariantCulture),
            IsDir: isDir,
            Owner: NameOf("/etc/passwd", uid),
            Group: NameOf("/etc/group", gid),
            Permissions: "0" + Convert.ToString((int)mode & 0x1FF, 8).PadLeft(3, '0'),
            Path: info.FullName);
    }

    /// <summary>Go's FileMode.String() form, as Daytona's daemon reports it: <c>drwxr-xr-x</c>, <c>-rw-r--r--</c>.</summary>
    private static string ModeString(bool isDir, bool isLink, UnixFileMode mode)
    {
        Span<char> chars = stackalloc char[10];
        chars[0] = isDir ? 'd' : isLink ? 'L' : '-';
        const string rwx = "rwxrwxrwx";
        for (var i = 0; i < 9; i++)
        {
            chars[i + 1] = ((int)mode & (1 << (8 - i))) != 0 ? rwx[i] : '-';
        }

        return new string(chars);
    }

    private static string NameOf(string database, int id)
    {
        try
        {
            foreach (var line in File.ReadLines(database))
            {
                var fields = line.Split(':');
                if (fields.Length > 2 && fields[2] == id.ToString(CultureInfo.InvariantCulture))
                {
                    return fields[0];
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return id.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>Looks a user or group up by name or number; null when unknown.</summary>
    public static int? IdOf(string database, string nameOrId)
    {
        if (int.TryParse(nameOrId, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
        {
            return id;
        }

        try
        {
            foreach (var line in File.ReadLines(database))
            {
                var fields = line.Split(':');
                if (fields.Length > 2 && fields[0] == nameOrId && int.TryParse(fields[2], CultureInfo.InvariantCulture, out var found))
                {
                    return found;
                }
            }
        }
        catch (IOException)
        {
        }

        return null;
    }

    public static DaemonError AccessDenied(string path) => new(403, "FILE_ACCESS_DENIED", $"permission denied: {path}");
}
