using System.Text.RegularExpressions;
using SandboxGrains.Sandboxes;

namespace SandboxGrains.Volumes;

/// <summary>The rules for volume names and mounts, and how a volume is named and labelled on a Docker engine.</summary>
public static partial class VolumeRules
{
    /// <summary>Most volumes one sandbox may mount.</summary>
    public const int MaxPerSandbox = 16;

    /// <summary>The label that marks a Docker volume as one of ours; its value is the volume's name.</summary>
    public const string Label = "sandboxgrains.volume";

    /// <summary>Where in a sandbox a volume may not go: the root, the daemon's bundle and its secret's folder.</summary>
    private static readonly string[] ReservedPaths = ["/opt/sandboxgrains", "/run/sandboxgrains"];

    /// <summary>The Docker volume that holds the named volume <paramref name="name"/>.</summary>
    public static string DockerName(string name) => $"sandboxgrains-vol-{name}";

    /// <summary>Why <paramref name="name"/> cannot name a volume, or null when it can.</summary>
    public static string? NameProblem(string? name) =>
        name is not null && ValidName().IsMatch(name) ? null
            : "must be 1 to 63 letters, digits, '_', '.' or '-', starting with a letter or digit (no '/')";

    /// <summary>Why these mounts cannot go into one sandbox, naming the field (<c>volumes[1].mountPath</c>); null when they can.</summary>
    public static InvalidField? MountsProblem(IReadOnlyList<VolumeMount> mounts)
    {
        if (mounts.Count > MaxPerSandbox)
        {
            return new InvalidField("volumes", $"at most {MaxPerSandbox} volumes per sandbox");
        }

        for (var i = 0; i < mounts.Count; i++)
        {
            var (name, path, _) = mounts[i];
            if (NameProblem(name) is { } nameProblem)
            {
                return new InvalidField($"volumes[{i}].name", nameProblem);
            }

            if (PathProblem(path) is { } pathProblem)
            {
                return new InvalidField($"volumes[{i}].mountPath", pathProblem);
            }

            var normalized = Normalize(path);
            for (var j = 0; j < i; j++)
            {
                if (mounts[j].Name == name)
                {
                    return new InvalidField($"volumes[{i}].name", $"volume {name} is mounted twice; mount it once");
                }

                var other = Normalize(mounts[j].MountPath);
                if (Nested(normalized, other) || Nested(other, normalized))
                {
                    return new InvalidField($"volumes[{i}].mountPath", $"{path} overlaps volumes[{j}].mountPath {mounts[j].MountPath}");
                }
            }
        }

        return null;
    }

    private static string? PathProblem(string? path)
    {
        if (string.IsNullOrEmpty(path) || !path.StartsWith('/') || path.Length > 1024 || path.Any(char.IsControl) || path.Contains(':', StringComparison.Ordinal))
        {
            return "must be an absolute path inside the sandbox, without ':'";
        }

        if (path.Split('/').Any(part => part is "." or ".."))
        {
            return "must not contain '.' or '..' parts";
        }

        var normalized = Normalize(path);
        if (normalized == "/")
        {
            return "cannot be / (a volume cannot replace the sandbox's root)";
        }

        return ReservedPaths.FirstOrDefault(reserved => Nested(normalized, reserved) || Nested(reserved, normalized)) is { } taken
            ? $"cannot be at or around {taken}, which the cluster's daemon uses"
            : null;
    }

    private static string Normalize(string path) => "/" + string.Join('/', path.Split('/', StringSplitOptions.RemoveEmptyEntries));

    /// <summary>True when <paramref name="inner"/> is <paramref name="outer"/> or below it.</summary>
    private static bool Nested(string inner, string outer) =>
        inner == outer || outer == "/" || inner.StartsWith(outer + "/", StringComparison.Ordinal);

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")]
    private static partial Regex ValidName();
}
