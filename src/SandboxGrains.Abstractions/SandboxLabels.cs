using System.Globalization;
using System.Text.Json;
using SandboxGrains.Runners;
using SandboxGrains.Sandboxes;

namespace SandboxGrains;

/// <summary>
/// What a sandbox container's labels say about its sandbox, and the one place their format is written (by the runner, at
/// create) and read back (by a sandbox grain that lost its state, and by whoever asks whose a container is). Keys are
/// <see cref="ContainerLabels"/>; values are invariant-culture numbers, round-trip dates and injection mode names, so a
/// container made by any version reads the same.
/// </summary>
public sealed record SandboxLabels
{
    /// <summary>The sandbox's display name; null when the container has no such label.</summary>
    public string? Name { get; init; }

    /// <summary>How the daemon came in; <see cref="InjectionMode.Mount"/> when the label is missing or unknown.</summary>
    public InjectionMode Injection { get; init; }

    /// <summary>The daemon's work directory; null when the container has no such label.</summary>
    public string? WorkDir { get; init; }

    /// <summary>Reserved CPU cores; 0 when missing or unreadable.</summary>
    public double Cpu { get; init; }

    /// <summary>Reserved memory in MiB; 0 when missing or unreadable.</summary>
    public long MemoryMb { get; init; }

    /// <summary>When the sandbox was created; null when missing or unreadable.</summary>
    public DateTimeOffset? CreatedAt { get; init; }

    /// <summary>The lifecycle policies the sandbox was created with; the defaults when the labels predate them.</summary>
    public SandboxPolicies Policies { get; init; } = SandboxPolicies.Default;

    /// <summary>The warm pool the sandbox was made for; null for every other sandbox.</summary>
    public string? PoolId { get; init; }

    /// <summary>The image the sandbox was created from; null when the labels predate it.</summary>
    public string? Image { get; init; }

    /// <summary>The caller's own labels, without the prefix they are stored under.</summary>
    public IReadOnlyDictionary<string, string> UserLabels { get; init; } = new Dictionary<string, string>();

    /// <summary>The named volumes the sandbox mounts; none when the labels predate volumes.</summary>
    public IReadOnlyList<Volumes.VolumeMount> Volumes { get; init; } = [];

    /// <summary>The labels of the container made for <paramref name="request"/>, whose daemon works in <paramref name="workDir"/>.</summary>
    public static SandboxLabels For(SandboxContainerRequest request, string workDir) => new()
    {
        Name = request.Name,
        Injection = request.Spec.Injection,
        WorkDir = workDir,
        Cpu = request.Spec.Cpu,
        MemoryMb = request.Spec.MemoryMb,
        CreatedAt = request.CreatedAt,
        Policies = request.Spec.Policies,
        PoolId = request.Spec.PoolId,
        Image = request.Spec.Image,
        UserLabels = request.Spec.Labels,
        Volumes = request.Spec.Volumes,
    };

    /// <summary>The container labels: these values plus the ones that make it a managed container of that sandbox and runner.</summary>
    public Dictionary<string, string> Write(string sandboxId, string runnerId)
    {
        var labels = new Dictionary<string, string>
        {
            [ContainerLabels.Managed] = "true",
            [ContainerLabels.SandboxId] = sandboxId,
            [ContainerLabels.RunnerId] = runnerId,
        };
        AddUnlessNull(labels, ContainerLabels.Name, Name);
        labels[ContainerLabels.Injection] = Injection.Name();
        AddUnlessNull(labels, ContainerLabels.WorkDir, WorkDir);
        AddUnlessNull(labels, ContainerLabels.CreatedAt, CreatedAt?.ToString("O", CultureInfo.InvariantCulture));
        labels[ContainerLabels.Cpu] = Cpu.ToString(CultureInfo.InvariantCulture);
        labels[ContainerLabels.MemoryMb] = MemoryMb.ToString(CultureInfo.InvariantCulture);
        labels[ContainerLabels.AutoStopMinutes] = Minutes(Policies.AutoStopMinutes);
        labels[ContainerLabels.AutoArchiveMinutes] = Minutes(Policies.AutoArchiveMinutes);
        labels[ContainerLabels.AutoDeleteMinutes] = Minutes(Policies.AutoDeleteMinutes);
        labels[ContainerLabels.TtlMinutes] = Minutes(Policies.TtlMinutes);
        AddUnlessNull(labels, ContainerLabels.Image, Image);

        // Always written, empty for none: an archive image keeps the labels of the container it was committed from, and
        // a restored sandbox's own labels must override a pool id it had before it was claimed.
        labels[ContainerLabels.PoolId] = PoolId ?? "";
        labels[ContainerLabels.Volumes] = Volumes.Count == 0 ? "" : JsonSerializer.Serialize(Volumes, LabelJson);
        foreach (var (key, value) in UserLabels)
        {
            labels[ContainerLabels.UserLabelPrefix + key] = value;
        }

        return labels;
    }

    /// <summary>Reads a container's labels back; a missing or unreadable value is left empty, for the reader to fill.</summary>
    public static SandboxLabels Read(IReadOnlyDictionary<string, string> labels)
    {
        InjectionModes.TryParse(labels.GetValueOrDefault(ContainerLabels.Injection), InjectionMode.Mount, out var injection);
        return new SandboxLabels
        {
            Name = labels.GetValueOrDefault(ContainerLabels.Name),
            Injection = injection,
            WorkDir = labels.GetValueOrDefault(ContainerLabels.WorkDir),
            Cpu = double.TryParse(labels.GetValueOrDefault(ContainerLabels.Cpu), CultureInfo.InvariantCulture, out var cpu) ? cpu : 0,
            MemoryMb = long.TryParse(labels.GetValueOrDefault(ContainerLabels.MemoryMb), CultureInfo.InvariantCulture, out var memory) ? memory : 0,
            CreatedAt = DateTimeOffset.TryParse(
                labels.GetValueOrDefault(ContainerLabels.CreatedAt), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var created)
                ? created
                : null,
            Policies = new SandboxPolicies
            {
                AutoStopMinutes = Minutes(labels, ContainerLabels.AutoStopMinutes) ?? SandboxPolicies.Default.AutoStopMinutes,
                AutoArchiveMinutes = Minutes(labels, ContainerLabels.AutoArchiveMinutes) ?? SandboxPolicies.Default.AutoArchiveMinutes,
                AutoDeleteMinutes = Minutes(labels, ContainerLabels.AutoDeleteMinutes),
                TtlMinutes = Minutes(labels, ContainerLabels.TtlMinutes),
            },
            PoolId = labels.GetValueOrDefault(ContainerLabels.PoolId) is { Length: > 0 } poolId ? poolId : null,
            Image = labels.GetValueOrDefault(ContainerLabels.Image),
            Volumes = ReadVolumes(labels.GetValueOrDefault(ContainerLabels.Volumes)),
            UserLabels = labels
                .Where(l => l.Key.StartsWith(ContainerLabels.UserLabelPrefix, StringComparison.Ordinal))
                .ToDictionary(l => l.Key[ContainerLabels.UserLabelPrefix.Length..], l => l.Value),
        };
    }

    /// <summary>True for a container the cluster made (adopted containers carry no labels at all).</summary>
    public static bool IsManaged(IReadOnlyDictionary<string, string> labels) => labels.ContainsKey(ContainerLabels.Managed);

    /// <summary>The sandbox a labelled container belongs to, or null.</summary>
    public static string? SandboxIdOf(IReadOnlyDictionary<string, string> labels) => labels.GetValueOrDefault(ContainerLabels.SandboxId);

    /// <summary>A container list filter for the labelled containers of one sandbox.</summary>
    public static Dictionary<string, string> FilterBySandbox(string sandboxId) => new() { [ContainerLabels.SandboxId] = sandboxId };

    /// <summary>The sandbox an archive image tag (<c>sandboxgrains/archive:{id}</c>) belongs to, or null for any other tag.</summary>
    public static string? SandboxIdOfArchive(string imageTag) =>
        imageTag.StartsWith(ArchiveRepository + ":", StringComparison.Ordinal) ? imageTag[(ArchiveRepository.Length + 1)..] : null;

    /// <summary>The image a sandbox is archived to on its runner's engine.</summary>
    public static string ArchiveImage(string sandboxId) => $"{ArchiveRepository}:{sandboxId}";

    private const string ArchiveRepository = "sandboxgrains/archive";

    /// <summary>A container list filter for the labelled containers of one runner.</summary>
    public static Dictionary<string, string> FilterByRunner(string runnerId) =>
        new() { [ContainerLabels.Managed] = "true", [ContainerLabels.RunnerId] = runnerId };

    private static readonly JsonSerializerOptions LabelJson = new(JsonSerializerDefaults.Web);

    private static IReadOnlyList<Volumes.VolumeMount> ReadVolumes(string? json)
    {
        if (string.IsNullOrEmpty(json))
        {
            return [];
        }

        try
        {
            return JsonSerializer.Deserialize<List<Volumes.VolumeMount>>(json, LabelJson) ?? [];
        }
        catch (JsonException)
        {
            return [];
        }
    }

    private static string Minutes(int? minutes) => minutes?.ToString(CultureInfo.InvariantCulture) ?? "";

    private static int? Minutes(IReadOnlyDictionary<string, string> labels, string key) =>
        int.TryParse(labels.GetValueOrDefault(key), NumberStyles.None, CultureInfo.InvariantCulture, out var minutes) ? minutes : null;

    private static void AddUnlessNull(Dictionary<string, string> labels, string key, string? value)
    {
        if (value is not null)
        {
            labels[key] = value;
        }
    }
}
