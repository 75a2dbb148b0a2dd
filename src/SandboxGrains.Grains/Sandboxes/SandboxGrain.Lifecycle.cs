using Microsoft.Extensions.Logging;

namespace SandboxGrains.Grains.Sandboxes;

/// <summary>
/// The sandbox grain's lifecycle policies: changing them, marking activity, and acting when the one reminder
/// (<see cref="LifecycleReminder"/>) wakes the grain at a deadline. What is due is decided by <see cref="SandboxLifecycle"/>
/// from the record and the clock at that moment.
/// </summary>
internal sealed partial class SandboxGrain
{
    public async Task<SandboxInfo> UpdateAsync(SandboxUpdate update, CancellationToken cancellationToken)
    {
        var info = Info;
        var changed = info with { Policies = update.ApplyTo(info.Policies), Labels = update.Labels ?? info.Labels };
        return Shown(await UpdateAsync(changed));
    }

    public async Task KeepAliveAsync(CancellationToken cancellationToken)
    {
        _ = Info;
        await _writer.RecordActivityAsync(time.GetUtcNow(), writeNow: true);
    }

    public Task ReceiveReminder(string reminderName, TickStatus status) =>
        reminderName == SandboxLifecycle.ReminderName ? ApplyPoliciesAsync() : Task.CompletedTask;

    public async Task ApplyPoliciesAsync()
    {
        if (state.State.Info is not { } info)
        {
            // Deleted meanwhile: nothing is due any more.
            await ScheduleLifecycleAsync();
            return;
        }

        var (action, reason) = SandboxLifecycle.Due(info, time.GetUtcNow(), _minute);
        try
        {
            switch (action)
            {
                case LifecycleAction.Stop:
                    logger.PolicyActs(Id, reason!);
                    await StopMeasuredAsync(reason, CancellationToken.None);
                    break;
                case LifecycleAction.Archive:
                    logger.PolicyActs(Id, reason!);
                    await ArchiveMeasuredAsync(reason!);
                    break;
                case LifecycleAction.Delete:
                    logger.PolicyActs(Id, reason!);
                    await DeleteMeasuredAsync(removeAdoptedContainer: false, CancellationToken.None);
                    break;
            }
        }
        catch (SandboxException e)
        {
            // The runner cannot be reached (or the container is gone); the reminder tries again a minute from now.
            logger.PolicyFailed(Id, reason ?? "", e.Message);
        }

        await ScheduleLifecycleAsync();
    }

    /// <summary>Keeps the lifecycle reminder at the next deadline; a deadline already past is acted on at once.</summary>
    private async Task ScheduleLifecycleAsync()
    {
        if (await Reminder.ScheduleAsync(state.State.Info))
        {
            // Due already (an ephemeral sandbox that just stopped): act now rather than when the reminder comes round.
            await this.AsReference<ISandboxGrain>().ApplyPoliciesAsync();
        }
    }
}
