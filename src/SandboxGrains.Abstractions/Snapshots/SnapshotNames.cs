using SandboxGrains.Images;

namespace SandboxGrains.Snapshots;

/// <summary>What a snapshot may be called, and the image it is kept as.</summary>
public static class SnapshotNames
{
    /// <summary>The repository snapshots are kept under, in the registry or on a runner.</summary>
    public const string Repository = "sandboxgrains/snapshots";

    private const int MaxLength = 128;

    /// <summary>Why <paramref name="name"/> cannot name a snapshot (it becomes part of a repository name), or null when it can.</summary>
    public static string? Problem(string? name) =>
        name is { Length: > 0 and <= MaxLength }
        && ImageReference.TryParse($"{Repository}/{name}", out var reference, out _)
        && reference is { Registry: null, Tag: null, Digest: null }
            ? null
            : $"must be a repository name: up to {MaxLength} lower-case letters and digits, separated by '.', '_', '-' or '/' (e.g. python-data or team/env)";

    /// <summary>The image a snapshot is kept as: in <paramref name="registry"/> when given, else on its runner alone; each build gets its own tag.</summary>
    public static string Image(string name, string? registry, string tag) =>
        registry is null ? $"{Repository}/{name}:{tag}" : $"{registry}/{Repository}/{name}:{tag}";
}
