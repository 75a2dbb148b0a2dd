namespace SandboxGrains.Silo.Daytona;

/// <summary>
/// A sandbox as Daytona's API shows it (its <c>SandboxDto</c>): every field the 0.x SDKs read, filled from ours. What we
/// have no notion of gets Daytona's neutral value (no GPU, not public, no backup) so the SDK's copies stay well-typed.
/// </summary>
internal sealed record DaytonaSandbox(
    string Id,
    string OrganizationId,
    string Name,
    string Snapshot,
    string? User,
    IReadOnlyDictionary<string, string> Env,
    IReadOnlyDictionary<string, string> Labels,
    bool Public,
    bool NetworkBlockAll,
    string Target,
    double Cpu,
    int Gpu,
    double Memory,
    int Disk,
    string State,
    string DesiredState,
    string? ErrorReason,
    bool Recoverable,
    string BackupState,
    int AutoStopInterval,
    int AutoArchiveInterval,
    int AutoDeleteInterval,
    int AutoPauseInterval,
    DateTimeOffset? AutoDestroyAt,
    IReadOnlyList<DaytonaVolumeMount> Volumes,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? LastActivityAt,
    string? DaemonVersion,
    string? RunnerId,
    string ToolboxProxyUrl,
    bool Kvm,
    bool Spot,
    string SandboxClass)
{
    /// <summary>The organisation every sandbox belongs to: an API key here is not tied to one.</summary>
    public const string Organization = "sandboxgrains";

    public static DaytonaSandbox From(SandboxInfo info, string toolboxProxyUrl) => new(
        info.Id,
        Organization,
        info.Name,
        info.Snapshot ?? info.Image,
        info.User,
        info.Env,
        info.Labels,
        Public: false,
        NetworkBlockAll: false,
        Target: info.RunnerId ?? "",
        info.Cpu,
        Gpu: 0,
        Memory: info.MemoryMb / 1024.0,
        Disk: 0,
        DaytonaStates.Name(info.State),
        DaytonaStates.Desired(info.State),
        info.ErrorReason,
        Recoverable: false,
        BackupState: "None",
        info.Policies.AutoStopMinutes,
        info.Policies.AutoArchiveMinutes,
        // Daytona's "never" is negative; ours is null.
        info.Policies.AutoDeleteMinutes ?? -1,
        AutoPauseInterval: 0,
        AutoDestroyAtOf(info),
        [.. info.Volumes.Select(v => new DaytonaVolumeMount(v.Name, v.MountPath))],
        info.CreatedAt,
        info.UpdatedAt,
        info.LastActivityAt,
        info.DaemonVersion,
        info.RunnerId,
        toolboxProxyUrl,
        Kvm: false,
        Spot: false,
        SandboxClass: "container");

    /// <summary>When the sandbox is deleted whatever it does: our TTL, Daytona's <c>autoDestroyAt</c>.</summary>
    public static DateTimeOffset? AutoDestroyAtOf(SandboxInfo info) =>
        info.Policies.TtlMinutes is { } ttl ? info.CreatedAt.AddMinutes(ttl) : null;

    /// <summary>A deleted sandbox as <c>DELETE</c> answers it: the SDK applies a non-empty answer to its object, so it must be whole.</summary>
    public DaytonaSandbox AsDestroyed() => this with { State = "destroyed", DesiredState = "destroyed" };
}

/// <summary>A mounted volume in Daytona's shape; our volumes are named, so the name stands for Daytona's volume id.</summary>
internal sealed record DaytonaVolumeMount(string VolumeId, string MountPath, string? Subpath = null);
