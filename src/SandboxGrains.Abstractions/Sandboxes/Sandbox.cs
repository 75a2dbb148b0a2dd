namespace SandboxGrains.Sandboxes;

/// <summary>A sandbox on the wire (section 4 of the spec): what the HTTP API answers and both .NET clients return.</summary>
public sealed record Sandbox(
    string Id,
    string Name,
    string State,
    string? ErrorReason,
    string Image,
    string? RunnerId,
    string? RunnerStatus,
    string? ContainerId,
    IReadOnlyDictionary<string, string> Labels,
    IReadOnlyDictionary<string, string> Env,
    double Cpu,
    long MemoryMb,
    string? WorkDir,
    string? User,
    string Injection,
    bool Adopted,
    string? DaemonVersion,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? LastActivityAt,
    int AutoStopMinutes,
    int AutoArchiveMinutes,
    int? AutoDeleteMinutes,
    int? TtlMinutes,
    DateTimeOffset? StateSince,
    Transition? LastTransition,
    string? PoolId = null,
    Images.PullProgress? Pull = null,
    IReadOnlyList<Volumes.VolumeMount>? Volumes = null,
    string? Snapshot = null)
{
    public static Sandbox From(SandboxInfo info) => new(
        info.Id,
        info.Name,
        StateName(info.State),
        info.ErrorReason,
        info.Image,
        info.RunnerId,
        info.RunnerStatus?.ToString().ToLowerInvariant(),
        info.ContainerId,
        info.Labels,
        info.Env,
        info.Cpu,
        info.MemoryMb,
        info.WorkDir,
        info.User,
        info.Injection.Name(),
        info.Adopted,
        info.DaemonVersion,
        info.CreatedAt,
        info.UpdatedAt,
        info.LastActivityAt,
        info.Policies.AutoStopMinutes,
        info.Policies.AutoArchiveMinutes,
        info.Policies.AutoDeleteMinutes,
        info.Policies.TtlMinutes,
        info.StateSince,
        info.LastTransition is { } t ? new Transition(StateName(t.From), StateName(t.To), t.Reason, t.At) : null,
        info.PoolId,
        info.Pull,
        info.Volumes,
        info.Snapshot);

    private static string StateName(SandboxState state) => state.ToString().ToLowerInvariant();
}

/// <summary>A sandbox's last change of state on the wire: <c>{from, to, reason, at}</c>.</summary>
public sealed record Transition(string From, string To, string? Reason, DateTimeOffset At);

/// <summary>A page of sandboxes: <c>{items, nextCursor}</c>; a null cursor means the last page.</summary>
public sealed record SandboxPage(IReadOnlyList<Sandbox> Items, string? NextCursor);
