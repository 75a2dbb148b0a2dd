using System.Text.Json;
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
        if (body.Snapshot is { } snapshot)
        {
            if (!string.IsNullOrWhiteSpace(body.Image))
            {
                return Invalid("snapshot", "give an image or a snapshot, not both");
            }

            if (Snapshots.SnapshotNames.Problem(snapshot) is { } snapshotProblem)
            {
                return Invalid("snapshot", snapshotProblem);
            }
        }

        var image = string.IsNullOrWhiteSpace(body.Image) ? defaults.DefaultImage : body.Image.Trim();
        if (!Images.ImageReference.TryParse(image, out _, out var imageProblem))
        {
            return Invalid("image", imageProblem);
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

        if (body.Labels is { } labels && LabelsProblem(labels) is { } labelsProblem)
        {
            return Invalid("labels", labelsProblem);
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

        if (body.Volumes is { } volumes)
        {
            if (volumes.Any(v => v is null))
            {
                return Invalid("volumes", "must be an array of {name, mountPath, readOnly?}");
            }

            if (Volumes.VolumeRules.MountsProblem(volumes) is { } volumesProblem)
            {
                return (null, volumesProblem);
            }
        }

        foreach (var (field, minutes) in new[]
                 {
                     ("autoStopMinutes", body.AutoStopMinutes), ("autoArchiveMinutes", body.AutoArchiveMinutes),
                     ("autoDeleteMinutes", body.AutoDeleteMinutes), ("ttlMinutes", body.TtlMinutes),
                 })
        {
            if (SandboxPolicies.Problem(field, minutes) is { } problem)
            {
                return Invalid(field, problem);
            }
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
            Volumes = body.Volumes ?? [],
            Snapshot = body.Snapshot,
            PidsLimit = defaults.PidsLimit,
            Policies = new SandboxPolicies
            {
                AutoStopMinutes = body.AutoStopMinutes ?? SandboxPolicies.Default.AutoStopMinutes,
                AutoArchiveMinutes = body.AutoArchiveMinutes ?? SandboxPolicies.Default.AutoArchiveMinutes,
                AutoDeleteMinutes = body.AutoDeleteMinutes,
                TtlMinutes = body.TtlMinutes,
            },
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

    /// <summary>
    /// Reads a <c>PATCH</c> body: any of <c>autoStopMinutes</c>, <c>autoArchiveMinutes</c>, <c>autoDeleteMinutes</c> and
    /// <c>ttlMinutes</c> (the last two may be <c>null</c>: never) and <c>labels</c> (replacing all of them). A field left out
    /// stays as it is; an unknown field is refused, so a misspelled policy never silently does nothing.
    /// </summary>
    public static (SandboxUpdate? Update, InvalidField? Problem) ToUpdate(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object)
        {
            return (null, new InvalidField("body", "must be a JSON object"));
        }

        var update = new SandboxUpdate();
        foreach (var field in body.EnumerateObject())
        {
            var (value, problem) = field.Name switch
            {
                "autoStopMinutes" or "autoArchiveMinutes" => ReadMinutes(field, nullable: false),
                "autoDeleteMinutes" or "ttlMinutes" => ReadMinutes(field, nullable: true),
                "labels" => (null, null),
                _ => (null, "is not a field of a sandbox that can change (autoStopMinutes, autoArchiveMinutes, autoDeleteMinutes, ttlMinutes, labels)"),
            };
            if (problem is not null)
            {
                return (null, new InvalidField(field.Name, problem));
            }

            update = field.Name switch
            {
                "autoStopMinutes" => update with { AutoStopMinutes = value },
                "autoArchiveMinutes" => update with { AutoArchiveMinutes = value },
                "autoDeleteMinutes" => update with { SetAutoDeleteMinutes = true, AutoDeleteMinutes = value },
                "ttlMinutes" => update with { SetTtlMinutes = true, TtlMinutes = value },
                _ => update,
            };

            if (field.Name == "labels")
            {
                var labels = field.Value.ValueKind == JsonValueKind.Object
                             && field.Value.EnumerateObject().All(l => l.Value.ValueKind == JsonValueKind.String)
                    ? field.Value.EnumerateObject().ToDictionary(l => l.Name, l => l.Value.GetString()!, StringComparer.Ordinal)
                    : null;
                if (labels is null || LabelsProblem(labels) is not null)
                {
                    return (null, new InvalidField("labels", LabelsProblem(labels ?? []) ?? "must be an object of string values"));
                }

                update = update with { Labels = labels };
            }
        }

        return (update, null);
    }

    private static (int? Value, string? Problem) ReadMinutes(JsonProperty field, bool nullable)
    {
        if (field.Value.ValueKind == JsonValueKind.Null)
        {
            return nullable ? (null, null) : (null, "must be a number of minutes (0: never)");
        }

        if (field.Value.ValueKind != JsonValueKind.Number || !field.Value.TryGetInt32(out var minutes))
        {
            return (null, "must be a whole number of minutes");
        }

        return (minutes, SandboxPolicies.Problem(field.Name, minutes));
    }

    private static string? LabelsProblem(IReadOnlyDictionary<string, string> labels) =>
        labels.Count > MaxLabels || labels.Any(l => !LabelKey().IsMatch(l.Key) || l.Value is null || l.Value.Length > 255)
            ? $"at most {MaxLabels} labels; keys of letters, digits, '.', '-', '_' and '/' (up to 63), values up to 255 characters"
            : null;

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

    /// <summary>A snapshot to start from, in place of <see cref="Image"/>.</summary>
    public string? Snapshot { get; init; }

    /// <summary>Named volumes to mount: <c>[{name, mountPath, readOnly?}]</c>; the sandbox goes to the runner that holds them.</summary>
    public List<Volumes.VolumeMount>? Volumes { get; init; }

    /// <summary>Stop after this many idle minutes (default 15; 0: never).</summary>
    public int? AutoStopMinutes { get; init; }

    /// <summary>Archive after this many minutes stopped (default 7 days; 0: never).</summary>
    public int? AutoArchiveMinutes { get; init; }

    /// <summary>Delete after this many minutes stopped (default never; 0: as soon as it stops).</summary>
    public int? AutoDeleteMinutes { get; init; }

    /// <summary>Delete this many minutes after creation, whatever the activity (default none).</summary>
    public int? TtlMinutes { get; init; }
}

/// <summary>The body of <c>POST /api/v1/sandboxes/adopt</c>: a running container's name or id.</summary>
public sealed record AdoptSandboxRequest(string? Container, string? Injection = null);
