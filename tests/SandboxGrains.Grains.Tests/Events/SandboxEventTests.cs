using SandboxGrains.Events;
using SandboxGrains.Grains.Tests.Sandboxes;
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
}
