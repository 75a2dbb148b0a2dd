namespace SandboxGrains.Grains.Sandboxes;

/// <summary>What a lifecycle policy does when its deadline comes.</summary>
internal enum LifecycleAction
{
    None,
    Stop,
    Archive,
    Delete,
}

/// <summary>
/// A sandbox's lifecycle policies in time: when the next one may act (<see cref="NextDeadline"/>), and what is due now
/// (<see cref="Due"/>). Pure functions of the sandbox's record and the clock, so a reminder that fires twice, late, or
/// after the sandbox became active again decides from what is true when it fires.
/// </summary>
internal static class SandboxLifecycle
{
    /// <summary>The name of the one reminder that wakes a sandbox when its next deadline comes.</summary>
    public const string ReminderName = "lifecycle";

    /// <summary>The earliest moment a policy may act on <paramref name="info"/>; null when none can.</summary>
    public static DateTimeOffset? NextDeadline(SandboxInfo info, TimeSpan minute) =>
        new[] { TtlDeadline(info, minute), DeleteDeadline(info, minute), ArchiveDeadline(info, minute), StopDeadline(info, minute) }.Min();

    /// <summary>What is due at <paramref name="now"/>, and why in words; the hard lifetime wins over everything.</summary>
    public static (LifecycleAction Action, string? Reason) Due(SandboxInfo info, DateTimeOffset now, TimeSpan minute)
    {
        var policies = info.Policies;
        if (TtlDeadline(info, minute) <= now)
        {
            return (LifecycleAction.Delete, $"deleted: its lifetime of {policies.TtlMinutes} min (ttlMinutes) ran out");
        }

        if (DeleteDeadline(info, minute) <= now)
        {
            return (LifecycleAction.Delete, policies.AutoDeleteMinutes == 0
                ? "deleted as it stopped (ephemeral: autoDeleteMinutes 0)"
                : $"auto-deleted after {policies.AutoDeleteMinutes} min {Name(info.State)}");
        }

        if (ArchiveDeadline(info, minute) <= now)
        {
            return (LifecycleAction.Archive, $"auto-archived after {policies.AutoArchiveMinutes} min stopped");
        }

        if (StopDeadline(info, minute) <= now)
        {
            return (LifecycleAction.Stop, $"auto-stopped after {policies.AutoStopMinutes} min idle");
        }

        return (LifecycleAction.None, null);
    }

    private static DateTimeOffset? TtlDeadline(SandboxInfo info, TimeSpan minute) =>
        info.Policies.TtlMinutes is { } ttl && info.State is not SandboxState.Destroying ? info.CreatedAt + (ttl * minute) : null;

    private static DateTimeOffset? DeleteDeadline(SandboxInfo info, TimeSpan minute) =>
        info.Policies.AutoDeleteMinutes is { } minutes && info.State is SandboxState.Stopped or SandboxState.Archived
            ? Since(info) + (minutes * minute)
            : null;

    /// <summary>A stopped sandbox's archive; never an adopted one (its container is its owner's).</summary>
    private static DateTimeOffset? ArchiveDeadline(SandboxInfo info, TimeSpan minute) =>
        info.Policies.AutoArchiveMinutes is > 0 and var minutes && info.State is SandboxState.Stopped && !info.Adopted
            ? Since(info) + (minutes * minute)
            : null;

    /// <summary>Idle since the later of its last traffic and its (re)start: traffic from before a stop does not count against it.</summary>
    private static DateTimeOffset? StopDeadline(SandboxInfo info, TimeSpan minute)
    {
        if (info.Policies.AutoStopMinutes is not (> 0 and var minutes) || info.State is not SandboxState.Started)
        {
            return null;
        }

        var started = Since(info);
        var idleSince = info.LastActivityAt is { } active && active > started ? active : started;
        return idleSince + (minutes * minute);
    }

    private static DateTimeOffset Since(SandboxInfo info) => info.StateSince ?? info.UpdatedAt;

    private static string Name(SandboxState state) => state.ToString().ToLowerInvariant();
}

/// <summary>How lifecycle policies count time (section <c>Lifecycle</c>).</summary>
public sealed class LifecycleOptions
{
    public const string SectionName = "Lifecycle";

    /// <summary>
    /// How long a policy's "minute" lasts (default one minute). Shorter only for tests and demos: a minute of one second
    /// makes a 15-minute auto-stop happen after 15 s, through the same reminders as in production.
    /// </summary>
    public TimeSpan MinuteLength { get; set; } = TimeSpan.FromMinutes(1);
}
