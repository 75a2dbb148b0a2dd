using System.Text.RegularExpressions;

namespace SandboxGrains.Sandboxes;

/// <summary>
/// Turns create and adopt requests into grain requests, or names the first bad field. The HTTP API and the grain client
/// both go through here, so a request is valid or not the same way everywhere; nothing reaches a grain (and so nothing
/// is created) unless the whole request is valid.
/// </summary>
public static partial class SandboxRequests
{
    private const int MaxLabels = 64;
    private const int MaxEnv = 256;

    public static (SandboxSpec? Spec, InvalidField? Problem) ToSpec(CreateSandboxRequest body, SandboxOptions defaults)
    {
        var image = string.IsNullOrWhiteSpace(body.Image) ? defaults.DefaultImage : body.Image.Trim();
        if (image.Length > 255 || image.Any(char.IsWhiteSpace))
        {
            return Invalid("image", "must be an image reference such as sandboxgrains/busybox:latest");
        }

        if (body.Name is { } name && (name.Length is 0 or > 63 || name.Any(char.IsControl)))
        {
            return Invalid("name", "must be 1 to 63 printable characters");
        }

        var cpu = body.Cpu ?? defaults.DefaultCpu;
        if (!double.IsFinite(cpu) || cpu <= 0 || cpu > defaults.MaxCpu)
        {
            return Invalid("cpu", $"must be more than 0 and at most {defaults.MaxCpu} cores");
        }

        var memory = body.MemoryMb ?? defaults.DefaultMemoryMb;
        if (memory is < 16 || memory > defaults.MaxMemoryMb)
        {
            return Invalid("memoryMb", $"must be from 16 to {defaults.MaxMemoryMb} MiB");
        }

        if (body.Env is { } env && (env.Count > MaxEnv || env.Keys.Any(k => !EnvName().IsMatch(k))))
        {
            return Invalid("env", $"at most {MaxEnv} variables, names of letters, digits and _ not starting with a digit");
        }

        if (body.Labels is { } labels && (labels.Count > MaxLabels
                || labels.Any(l => !LabelKey().IsMatch(l.Key) || l.Value is null || l.Value.Length > 255)))
        {
            return Invalid("labels", $"at most {MaxLabels} labels; keys of letters, digits, '.', '-', '_' and '/' (up to 63), values up to 255 characters");
        }

        if (body.WorkDir is { } workDir && (!workDir.StartsWith('/') || workDir.Contains('\0', StringComparison.Ordinal)))
        {
            return Invalid("workDir", "must be an absolute path");
        }

        if (body.User is { } user && (user.Length is 0 or > 64 || user.Any(char.IsWhiteSpace)))
        {
            return Invalid("user", "must be a user name or uid[:gid]");
        }

        if (!InjectionModes.TryParse(body.Injection, InjectionMode.Mount, out var injection))
        {
            return Invalid("injection", $"must be one of {InjectionModes.Accepted}");
        }

        if (body.Cmd is { } cmd && (cmd.Count == 0 || cmd.Any(string.IsNullOrEmpty)))
        {
            return Invalid("cmd", "must be a non-empty array of non-empty strings");
        }

        return (new SandboxSpec
        {
            Image = image,
            Name = body.Name,
            Env = body.Env ?? [],
            Labels = body.Labels ?? [],
            Cpu = cpu,
            MemoryMb = memory,
            WorkDir = body.WorkDir,
            User = body.User,
            Injection = injection,
            Cmd = body.Cmd,
            PidsLimit = defaults.PidsLimit,
        }, null);
    }

    public static (string? Container, InjectionMode Injection, InvalidField? Problem) ToAdoption(AdoptSandboxRequest body)
    {
        if (string.IsNullOrWhiteSpace(body.Container) || body.Container.Length > 128)
        {
            return (null, default, new InvalidField("container", "is required: the name or id of a running container"));
        }

        if (!InjectionModes.TryParse(body.Injection, InjectionMode.Copy, out var injection) || injection == InjectionMode.Mount)
        {
            return (null, default, new InvalidField("injection", "must be copy or none (aliases volume, direct): an existing container cannot get a mount"));
        }

        return (body.Container.Trim(), injection, null);
    }

    /// <summary>Parses <c>label=k=v</c> query values into pairs; null when one is malformed.</summary>
    public static Dictionary<string, string>? ParseLabelFilters(IEnumerable<string?> values)
    {
        var filters = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var value in values)
        {
            var parts = value?.Split('=', 2);
            if (parts is not [{ Length: > 0 } key, var wanted])
            {
                return null;
            }

            filters[key] = wanted;
        }

        return filters;
    }

    private static (SandboxSpec?, InvalidField?) Invalid(string field, string message) => (null, new InvalidField(field, message));

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]{0,127}$")]
    private static partial Regex EnvName();

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._/-]{0,62}$")]
    private static partial Regex LabelKey();
}

/// <summary>Which request field is wrong and why.</summary>
public sealed record InvalidField(string Field, string Message);

/// <summary>What to create; every field optional (the server fills in defaults). The body of <c>POST /api/v1/sandboxes</c>.</summary>
public sealed record CreateSandboxRequest
{
    public string? Image { get; init; }
    public string? Name { get; init; }
    public Dictionary<string, string>? Env { get; init; }
    public Dictionary<string, string>? Labels { get; init; }
    public double? Cpu { get; init; }
    public long? MemoryMb { get; init; }
    public string? WorkDir { get; init; }
    public string? User { get; init; }

    /// <summary><c>mount</c> (default), <c>copy</c> or <c>none</c>; aliases <c>volume</c> and <c>direct</c>.</summary>
    public string? Injection { get; init; }

    public List<string>? Cmd { get; init; }
}

/// <summary>The body of <c>POST /api/v1/sandboxes/adopt</c>: a running container's name or id.</summary>
public sealed record AdoptSandboxRequest(string? Container, string? Injection = null);
