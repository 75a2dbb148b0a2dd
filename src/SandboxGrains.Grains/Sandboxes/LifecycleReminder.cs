namespace SandboxGrains.Grains.Sandboxes;

/// <summary>
/// The one Orleans reminder of a sandbox grain, kept at the next lifecycle deadline: registered when a deadline comes
/// into sight or moves, removed when none is left. Activity does not move it (that would be a reminder write per
/// report): the reminder fires at the old deadline, the grain finds the sandbox active, and the reminder moves on. Its
/// period is the safety net: a tick whose action failed, or that a silo's death swallowed, comes again a minute later.
/// </summary>
internal sealed class LifecycleReminder(Grain grain, TimeProvider time, TimeSpan minute)
{
    // The deadline the reminder is set for, as far as this activation knows; unknown right after activation.
    private DateTimeOffset? _scheduledFor;
    private bool _known;

    /// <summary>
    /// Sets the reminder for <paramref name="info"/>'s next deadline (null info: the sandbox is gone). True when that
    /// deadline has already passed and was not acted on by this activation yet: the caller acts now, once per deadline,
    /// and a failure is left to the reminder rather than retried in a loop.
    /// </summary>
    public async Task<bool> ScheduleAsync(SandboxInfo? info)
    {
        var next = info is null ? null : SandboxLifecycle.NextDeadline(info, minute);
        if (next is null)
        {
            if (_scheduledFor is not null || !_known)
            {
                if (await grain.GetReminder(SandboxLifecycle.ReminderName) is { } reminder)
                {
                    await grain.UnregisterReminder(reminder);
                }
            }

            (_scheduledFor, _known) = (null, true);
            return false;
        }

        if (next == _scheduledFor)
        {
            return false;
        }

        var due = next.Value - time.GetUtcNow();
        await grain.RegisterOrUpdateReminder(SandboxLifecycle.ReminderName, due > TimeSpan.Zero ? due : TimeSpan.Zero, minute);
        (_scheduledFor, _known) = (next, true);
        return due <= TimeSpan.Zero;
    }
}
