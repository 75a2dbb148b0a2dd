using SandboxGrains.Events;
using SandboxGrains.Grains.Tests.Sandboxes;
using SandboxGrains.Runners;
using SandboxGrains.Sandboxes;
using Xunit;
using static SandboxGrains.Grains.Tests.Sandboxes.SandboxTestKit;

namespace SandboxGrains.Grains.Tests.Events;

/// <summary>A sandbox's events reach every silo of the cluster, each silo getting them in the order they happened.</summary>
[Collection(ClusterCollection.Name)]
public sealed class SandboxEventTests(ClusterFixture fixture)
{
    [Fact]
    public async Task CreateStopStartDelete_EverySiloGetsEachChangeInOrder_WithFromToAndWhy()
    {
        var (grain, info) = await fixture.CreateStartedAsync();
        await grain.StopAsync(Cancel);
        await grain.StartAsync(Cancel);
        await grain.DeleteAsync(false, Cancel);

        Assert.Equal(2, fixture.Events.Silos.Count);
        foreach (var silo in fixture.Events.Silos)
        {
            var seen = fixture.Events.About(silo, info.Id);
            Assert.Equal(
                [
                    (ClusterEventTypes.SandboxCreated, (SandboxState?)null, SandboxState.Creating),
                    (ClusterEventTypes.SandboxStateUpdated, SandboxState.Creating, SandboxState.Started),
                    (ClusterEventTypes.SandboxStateUpdated, SandboxState.Started, SandboxState.Stopping),
                    (ClusterEventTypes.SandboxStateUpdated, SandboxState.Stopping, SandboxState.Stopped),
                    (ClusterEventTypes.SandboxStateUpdated, SandboxState.Stopped, SandboxState.Starting),
                    (ClusterEventTypes.SandboxStateUpdated, SandboxState.Starting, SandboxState.Started),
                    (ClusterEventTypes.SandboxStateUpdated, SandboxState.Started, SandboxState.Destroying),
                    (ClusterEventTypes.SandboxDeleted, SandboxState.Destroying, SandboxState.Destroyed),
                ],
                seen.Select(e => (e.Type, e.From, e.To!.Value)));
            Assert.Equal("stopped on request", seen[3].Reason);
            Assert.All(seen, e => Assert.Equal(info.Id, e.Sandbox?.Id));
            Assert.Equal("blue", seen[^1].Sandbox!.Labels["team"]);
        }
    }

    [Fact]
    public async Task PreviewCreatedAndRevoked_AreEventsOnEverySilo_NamingThePortButNeverTheToken()
    {
        var (grain, info) = await fixture.CreateStartedAsync();
        var issued = await grain.CreatePreviewAsync(3000, null, Cancel);
        Assert.True(await grain.RevokePreviewAsync(issued.Record.Id, Cancel));

        foreach (var silo in fixture.Events.Silos)
        {
            var previews = fixture.Events.About(silo, info.Id).Where(e => e.Preview is not null).ToList();
            Assert.Equal([ClusterEventTypes.PreviewCreated, ClusterEventTypes.PreviewRevoked], previews.Select(e => e.Type));
            Assert.All(previews, e => Assert.Equal((issued.Record.Id, 3000), (e.Preview!.Id, e.Preview.Grant.Port)));

            // On the wire an event shows the link's id and port; the token it was made with is nowhere in it.
            var wire = System.Text.Json.JsonSerializer.Serialize(EventMessage.Of("1", previews[0]));
            Assert.DoesNotContain(issued.Token, wire, StringComparison.Ordinal);
            Assert.DoesNotContain(issued.Record.TokenHash, wire, StringComparison.Ordinal);
        }

        await grain.DeleteAsync(false, Cancel);
    }

    [Fact]
    public async Task RunnerWhoseEngineFailsAndRecovers_IsAnnouncedOnEverySilo()
    {
        var runner = fixture.Grains.GetGrain<IRunnerGrain>(ClusterFixture.RunnerId);
        await fixture.BeatAsync();
        await runner.HeartbeatAsync(new RunnerHeartbeat("fake://runner", "Silo_0", ClusterFixture.Capacity, "engine gone", "fake"), Cancel);
        await runner.HeartbeatAsync(new RunnerHeartbeat("fake://runner", "Silo_0", ClusterFixture.Capacity, "engine gone", "fake"), Cancel);
        await fixture.BeatAsync();

        foreach (var silo in fixture.Events.Silos)
        {
            var statuses = fixture.Events.OfType(silo, ClusterEventTypes.RunnerStatus).Select(e => (e.Runner!.Status, e.Reason)).ToList();

            // The last two are this test's: the second "engine gone" heartbeat, which changes nothing, announces nothing.
            // (Two announcements in a row may still agree elsewhere: a heartbeat after a silence the fake clock made long
            // is a runner back from unreachable, and each new activation announces its first heartbeat.)
            Assert.Equal([(RunnerStatus.Unhealthy, "engine gone"), (RunnerStatus.Healthy, (string?)null)], statuses.TakeLast(2));
        }
    }
}
