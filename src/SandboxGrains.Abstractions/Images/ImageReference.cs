using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;

namespace SandboxGrains.Images;

/// <summary>
/// An image reference as Docker reads it: <c>[registry/]repository[:tag][@digest]</c>. The registry is the first path
/// component when it has a dot or a port, or is <c>localhost</c>; otherwise the image comes from Docker Hub. Checked here
/// so a malformed one is refused at the API with the reason, not by the engine halfway through a create.
/// </summary>
public sealed partial record ImageReference(string? Registry, string Repository, string? Tag, string? Digest)
{
    /// <summary>Docker Hub, where references without a registry come from.</summary>
    public const string DockerHub = "docker.io";

    private const int MaxNameLength = 255;

    /// <summary>The registry host (and port) the image is pulled from.</summary>
    public string RegistryHost => Registry ?? DockerHub;

    /// <summary>The name without tag or digest, as Docker's pull API takes it (<c>fromImage</c>).</summary>
    public string Name => Registry is null ? Repository : $"{Registry}/{Repository}";

    /// <summary>The tag to pull: the given one, else <c>latest</c> unless a digest pins the image.</summary>
    public string? TagOrDefault => Tag ?? (Digest is null ? "latest" : null);

    public override string ToString() =>
        Name + (Tag is null ? "" : ":" + Tag) + (Digest is null ? "" : "@" + Digest);

    /// <summary>Parses <paramref name="text"/>; on failure <paramref name="problem"/> says what is wrong with it.</summary>
    public static bool TryParse(string text, [NotNullWhen(true)] out ImageReference? reference, [NotNullWhen(false)] out string? problem)
    {
        reference = null;
        var match = Reference().Match(text);
        if (!match.Success)
        {
            problem = "must be an image reference: [registry/]name[:tag][@digest] in lower case, e.g. python:3.12-slim or 127.0.0.1:5000/team/app:1";
            return false;
        }

        var path = match.Groups["path"].Value;
        string? registry = null;
        var firstSlash = path.IndexOf('/', StringComparison.Ordinal);
        if (firstSlash > 0)
        {
            var first = path[..firstSlash];
            if (first.Contains('.', StringComparison.Ordinal) || first.Contains(':', StringComparison.Ordinal) || first == "localhost")
            {
                registry = first;
                path = path[(firstSlash + 1)..];
            }
        }

        if (!RepositoryPattern().IsMatch(path))
        {
            problem = $"repository '{path}' must be lower-case letters and digits, separated by '.', '_', '__', '-' or '/'";
            return false;
        }

        if (match.Groups["path"].Value.Length > MaxNameLength)
        {
            problem = $"the name may be at most {MaxNameLength} characters";
            return false;
        }

        reference = new ImageReference(
            registry,
            path,
            match.Groups["tag"].Success ? match.Groups["tag"].Value : null,
            match.Groups["digest"].Success ? match.Groups["digest"].Value : null);
        problem = null;
        return true;
    }

    /// <summary>True when <paramref name="text"/> is a valid tag (what follows the colon).</summary>
    public static bool IsValidTag(string text) => TagPattern().IsMatch(text);

    // The path may start with host[:port]/; a tag is up to 128 word characters, dots and dashes; a digest is algorithm:hex.
    [GeneratedRegex(@"^(?<path>(?:[A-Za-z0-9][A-Za-z0-9.-]*(?::[0-9]+)?/)?[a-z0-9._/-]+)(?::(?<tag>[\w][\w.-]{0,127}))?(?:@(?<digest>[a-z0-9]+(?:[+._-][a-z0-9]+)*:[0-9a-fA-F]{32,}))?$")]
    private static partial Regex Reference();

    [GeneratedRegex(@"^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$")]
    private static partial Regex RepositoryPattern();

    [GeneratedRegex(@"^[\w][\w.-]{0,127}$")]
    private static partial Regex TagPattern();
}
