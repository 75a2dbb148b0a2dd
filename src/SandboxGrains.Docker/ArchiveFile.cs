namespace SandboxGrains.Docker;

/// <summary>A file to copy into a container: its path relative to the target folder, its content and its mode.</summary>
public sealed record ArchiveFile(string RelativePath, ReadOnlyMemory<byte> Content, UnixFileMode Mode = ArchiveFile.DefaultMode)
{
    /// <summary>rw-r--r--.</summary>
    public const UnixFileMode DefaultMode =
        UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
}
