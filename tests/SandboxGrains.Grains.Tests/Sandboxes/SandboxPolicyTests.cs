using SandboxGrains.Grains.Sandboxes;
using SandboxGrains.Sandboxes;
using Xunit;
using static SandboxGrains.Grains.Tests.Sandboxes.SandboxTestKit;

namespace SandboxGrains.Grains.Tests.Sandboxes;

/// <summary>
/// Lifecycle policies on the fake clock: each acts at its deadline and not before, activity pushes the idle stop back,
/// the hard lifetime wins over activity, and a reminder that comes after the sandbox changed does what is true then.
/// A tick is delivered the way Orleans delivers it, as a call of <see cref="IRemindable.ReceiveReminder"/>; the grain
/// decides from its record and its clock alone, so a tick that comes late, twice, or after a delete is harmless.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class SandboxPolicyTests(ClusterFixture fixture)
{
    private static readonly TimeSpan Minute = TimeSpan.FromMinutes(1);

    [Fact]
    public async Task AutoStop_IdleForItsMinutes_StopsThen_AndNotBefore()
    {
        var (grain, _) = await CreateAsync(new SandboxPolicies { AutoStopMinutes = 15 });

        fixture.Time.Advance(14 * Minute);
        await TickAsync(grain);
        Assert.Equal(SandboxState.Started, (await grain.GetAsync(Cancel)).State);

        fixture.Time.Advance(Minute);
        await TickAsync(grain);
        var stopped = await grain.GetAsync(Cancel);
        Assert.Equal(SandboxState.Stopped, stopped.State);
        Assert.Equal(new SandboxTransition(SandboxState.Started, SandboxState.Stopped, "auto-stopped after 15 min idle", fixture.Time.GetUtcNow()), stopped.LastTransition);
    }

    [Fact]
    public async Task AutoStop_ActivityOnTheWay_PushesTheDeadlineBack()
    {
        var (grain, _) = await CreateAsync(new SandboxPolicies { AutoStopMinutes = 15 });

        fixture.Time.Advance(10 * Minute);
        await grain.KeepAliveAsync(Cancel);
        fixture.Time.Advance(5 * Minute);
        await TickAsync(grain);
        Assert.Equal(SandboxState.Started, (await grain.GetAsync(Cancel)).State);

        fixture.Time.Advance(10 * Minute);
        await TickAsync(grain);
        Assert.Equal(SandboxState.Stopped, (await grain.GetAsync(Cancel)).State);
    }

    [Fact]
    public async Task AutoStop_SandboxRestartedSinceItsLastTraffic_CountsFromTheRestart()
    {
        var (grain, _) = await CreateAsync(new SandboxPolicies { AutoStopMinutes = 15 });
        await grain.StopAsync(Cancel);
        fixture.Time.Advance(60 * Minute);
        await grain.StartAsync(Cancel);

        fixture.Time.Advance(Minute);
        await TickAsync(grain);

        Assert.Equal(SandboxState.Started, (await grain.GetAsync(Cancel)).State);
    }

    [Fact]
    public async Task Ttl_WinsOverActivity()
    {
        var (grain, info) = await CreateAsync(new SandboxPolicies { AutoStopMinutes = 15, TtlMinutes = 30 });

        for (var minute = 5; minute < 30; minute += 5)
        {
            fixture.Time.Advance(5 * Minute);
            await grain.KeepAliveAsync(Cancel);
            await TickAsync(grain);
        }

        Assert.Equal(SandboxState.Started, (await grain.GetAsync(Cancel)).State);
        fixture.Time.Advance(5 * Minute);
        await TickAsync(grain);

        Assert.Equal(SandboxErrorCodes.NotFound, await grain.ReadErrorAsync());
        Assert.Null(fixture.Containers.Find(info.ContainerId!));
    }

    [Fact]
    public async Task AutoDelete_StoppedForItsMinutes_DeletesThen_AndNotBefore()
    {
        var (grain, _) = await CreateAsync(new SandboxPolicies { AutoStopMinutes = 0, AutoDeleteMinutes = 60 });
        await grain.StopAsync(Cancel);

        fixture.Time.Advance(59 * Minute);
        await TickAsync(grain);
        Assert.Equal(SandboxState.Stopped, (await grain.GetAsync(Cancel)).State);

        fixture.Time.Advance(Minute);
        await TickAsync(grain);
        Assert.Equal(SandboxErrorCodes.NotFound, await grain.ReadErrorAsync());
    }

    [Fact]
    public async Task AutoArchive_StoppedForItsMinutes_ArchivesThen_AndNotBefore_FreeingItsRoom_AndStartRestoresIt()
    {
        var (grain, info) = await CreateAsync(new SandboxPolicies { AutoStopMinutes = 0, AutoArchiveMinutes = 60 });
        await grain.StopAsync(Cancel);
        var reservations = await fixture.ReservationsAsync();

        fixture.Time.Advance(59 * Minute);
        await TickAsync(grain);
        Assert.Equal(SandboxState.Stopped, (await grain.GetAsync(Cancel)).State);

        fixture.Time.Advance(Minute);
        await TickAsync(grain);
        var archived = await grain.GetAsync(Cancel);
        Assert.Equal((SandboxState.Archived, null, "auto-archived after 60 min stopped"), (archived.State, archived.ContainerId, archived.LastTransition!.Reason));
        Assert.Null(fixture.Containers.Find(info.ContainerId!));
        Assert.Contains(SandboxLabels.ArchiveImage(info.Id), fixture.Containers.Archives);
        Assert.Equal(reservations - 1, await fixture.ReservationsAsync());

        var restored = await grain.StartAsync(Cancel);
        Assert.Equal(SandboxState.Started, restored.State);
        Assert.True(fixture.Containers.Find(restored.ContainerId!)!.Running);
        Assert.Equal(reservations, await fixture.ReservationsAsync());

        await grain.DeleteAsync(removeAdoptedContainer: false, Cancel);
        Assert.DoesNotContain(SandboxLabels.ArchiveImage(info.Id), fixture.Containers.Archives);
    }

    [Fact]
    public async Task AutoDelete_CountsForArchivedSandboxesToo_AndRemovesTheArchive()
    {
        var (grain, info) = await CreateAsync(new SandboxPolicies { AutoStopMinutes = 0, AutoArchiveMinutes = 10, AutoDeleteMinutes = 60 });
        await grain.StopAsync(Cancel);
        fixture.Time.Advance(10 * Minute);
        await TickAsync(grain);
        Assert.Equal(SandboxState.Archived, (await grain.GetAsync(Cancel)).State);

        fixture.Time.Advance(60 * Minute);
        await TickAsync(grain);

        Assert.Equal(SandboxErrorCodes.NotFound, await grain.ReadErrorAsync());
        Assert.DoesNotContain(SandboxLabels.ArchiveImage(info.Id), fixture.Containers.Archives);
    }

    [Fact]
    public async Task Archive_OfARunningSandbox_IsInvalidState_AndChangesNothing()
    {
        var (grain, info) = await CreateAsync(SandboxPolicies.Default);

        var e = await Assert.ThrowsAsync<SandboxException>(() => grain.ArchiveAsync(Cancel));

        Assert.Equal(SandboxErrorCodes.InvalidState, e.Code);
        Assert.Equal(SandboxState.Started, (await grain.GetAsync(Cancel)).State);
        Assert.True(fixture.Containers.Find(info.ContainerId!)!.Running);
    }

    [Fact]
    public async Task Ephemeral_IsDeletedAsSoonAsItStops()
    {
        var (grain, info) = await CreateAsync(new SandboxPolicies { AutoDeleteMinutes = 0 });

        await grain.StopAsync(Cancel);

        await Poll.UntilAsync(async () => await grain.ReadErrorAsync() == SandboxErrorCodes.NotFound, "the ephemeral sandbox gone after its stop");
        Assert.Null(fixture.Containers.Find(info.ContainerId!));
        Assert.False(await fixture.IsListedAsync(info.Id));
    }

    [Fact]
    public async Task ATickAfterTheSandboxWasDeleted_DoesNothing()
    {
        var (grain, info) = await CreateAsync(new SandboxPolicies { AutoStopMinutes = 15 });
        await grain.DeleteAsync(removeAdoptedContainer: false, Cancel);
        fixture.Time.Advance(30 * Minute);

        await TickAsync(grain);

        Assert.Equal(SandboxErrorCodes.NotFound, await grain.ReadErrorAsync());
        Assert.False(await fixture.IsListedAsync(info.Id));
    }

    [Fact]
    public async Task Update_ChangesOnlyWhatItSets_AndNeverStopsWithAutoStopZero()
    {
        var (grain, _) = await CreateAsync(new SandboxPolicies { AutoStopMinutes = 15, TtlMinutes = 600 });

        var updated = await grain.UpdateAsync(
            new SandboxUpdate { AutoStopMinutes = 0, SetTtlMinutes = true, TtlMinutes = null, Labels = new Dictionary<string, string> { ["team"] = "red" } },
            Cancel);

        Assert.Equal(new SandboxPolicies { AutoStopMinutes = 0, TtlMinutes = null }, updated.Policies);
        Assert.Equal("red", updated.Labels["team"]);
        fixture.Time.Advance(24 * 60 * Minute);
        await TickAsync(grain);
        Assert.Equal(SandboxState.Started, (await grain.GetAsync(Cancel)).State);
    }

    [Fact]
    public async Task Stop_OnRequest_KeepsTheTransitionWithItsReason()
    {
        var (grain, _) = await CreateAsync(SandboxPolicies.Default);

        var stopped = await grain.StopAsync(Cancel);

        Assert.Equal("stopped on request", stopped.LastTransition!.Reason);
        Assert.Equal(SandboxState.Started, stopped.LastTransition.From);
        Assert.Equal(fixture.Time.GetUtcNow(), stopped.StateSince);
    }

    private async Task<(ISandboxGrain Grain, SandboxInfo Info)> CreateAsync(SandboxPolicies policies)
    {
        await fixture.BeatAsync();
        var grain = fixture.Sandbox(SandboxIds.New());
        var info = await grain.CreateAsync(Spec() with { Policies = policies }, wait: true, Cancel);
        Assert.Equal(policies, info.Policies);
        return (grain, info);
    }

    /// <summary>Delivers the lifecycle reminder's tick now, as the reminder service would, and returns once it was handled.</summary>
    private async Task TickAsync(ISandboxGrain grain)
    {
        await fixture.BeatAsync();
        var now = fixture.Time.GetUtcNow().UtcDateTime;
        await grain.AsReference<IRemindable>().ReceiveReminder(SandboxLifecycle.ReminderName, new TickStatus(now, Minute, now));

        // A delete or stop the tick started has finished by the time a non-interleaving call gets its turn.
        _ = await grain.ReadErrorAsync();
    }
}
