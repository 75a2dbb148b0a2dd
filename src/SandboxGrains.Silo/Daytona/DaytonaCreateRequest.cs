using System.Text.RegularExpressions;

namespace SandboxGrains.Silo.Daytona;

/// <summary>
/// The body of Daytona's <c>POST /sandbox</c>, as far as we read it; unknown keys are ignored (the SDK adds new ones in
/// every release). <c>user</c>, <c>public</c>, <c>target</c>, <c>disk</c> and GPUs are accepted and ignored.
/// </summary>
internal sealed partial record DaytonaCreateRequest
{
    /// <summary>Our snapshot of that name, else an image reference.</summary>
    public string? Snapshot { get; init; }

    /// <summary>An image reference (older SDKs and hand-written calls; 0.218 sends <see cref="BuildInfo"/> instead).</summary>
    public string? Image { get; init; }

    public DaytonaBuildInfo? BuildInfo { get; init; }
    public string? Name { get; init; }
    public Dictionary<string, string>? Env { get; init; }
    public Dictionary<string, string>? Labels { get; init; }
    public double? Cpu { get; init; }

    /// <summary>GiB.</summary>
    public double? Memory { get; init; }

    public DaytonaResources? Resources { get; init; }
    public int? AutoStopInterval { get; init; }
    public int? AutoArchiveInterval { get; init; }

    /// <summary>Negative: never; 0: as soon as it stops.</summary>
    public int? AutoDeleteInterval { get; init; }

    public bool? Ephemeral { get; init; }
    /// <summary>Our named volumes, by name as Daytona's volume id; a <c>subpath</c> is not supported.</summary>
    public List<DaytonaVolumeMount>? Volumes { get; init; }

    /// <summary>
    /// Our create request, or why we cannot make this one: a Dockerfile that is more than <c>FROM image</c> or a build
    /// context (we build no images), or a volume's subpath, are not supported. <paramref name="snapshotExists"/>: whether
    /// <see cref="Snapshot"/> names one of our snapshots (else it is an image).
    /// </summary>
    public (CreateSandboxRequest? Request, string? NotSupported) ToNative(bool snapshotExists)
    {
        string? image = Image;
        string? snapshot = null;
        if (BuildInfo is { } build)
        {
            if (build.ContextHashes is { Count: > 0 } || FromOnly().Match(build.DockerfileContent ?? "") is not { Success: true } from)
            {
                return (null, "building an image from a Dockerfile or a build context (Image.base(...) with more steps)");
            }

            image = from.Groups[1].Value;
        }
        else if (Snapshot is { Length: > 0 } named)
        {
            (snapshot, image) = snapshotExists ? (named, (string?)null) : ((string?)null, named);
        }

        if (Volumes?.Any(v => v is { Subpath.Length: > 0 }) == true)
        {
            return (null, "mounting a volume's subpath");
        }

        var memoryGiB = Memory ?? Resources?.Memory;
        return (new CreateSandboxRequest
        {
            Image = image,
            Snapshot = snapshot,
            Name = Name,
            Env = Env,
            Labels = Labels,
            Cpu = Cpu ?? Resources?.Cpu,
            MemoryMb = memoryGiB is { } gib ? (long)Math.Round(gib * 1024) : null,
            // A null entry stays null, for the create's own check to name.
            Volumes = Volumes?.Select(v => v is null ? null! : new SandboxGrains.Volumes.VolumeMount(v.VolumeId, v.MountPath)).ToList(),
            AutoStopMinutes = AutoStopInterval,
            AutoArchiveMinutes = AutoArchiveInterval,
            AutoDeleteMinutes = AutoDeleteInterval switch
            {
                < 0 => null,
                { } minutes => minutes,
                null => Ephemeral == true ? 0 : null,
            },
        }, null);
    }

    /// <summary>Our field names in a refusal, put back in Daytona's words.</summary>
    public static string FieldName(string native) => native switch
    {
        "memoryMb" => "memory",
        "autoStopMinutes" => "autoStopInterval",
        "autoArchiveMinutes" => "autoArchiveInterval",
        "autoDeleteMinutes" => "autoDeleteInterval",
        _ => native,
    };

    [GeneratedRegex(@"^\s*FROM\s+(\S+)\s*$", RegexOptions.IgnoreCase)]
    private static partial Regex FromOnly();
}

/// <summary>How Daytona's SDK asks for an image: <c>FROM {image}</c> as a one-line Dockerfile.</summary>
internal sealed record DaytonaBuildInfo(string? DockerfileContent, List<string>? ContextHashes);

/// <summary>Resources as some SDKs nest them: <c>cpu</c> cores, <c>memory</c> GiB (<c>disk</c> is not limited here).</summary>
internal sealed record DaytonaResources(double? Cpu, double? Memory);
