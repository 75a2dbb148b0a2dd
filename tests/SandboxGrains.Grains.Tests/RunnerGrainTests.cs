using SandboxGrains.Grains.Runners;
using SandboxGrains.Runners;
using Xunit;

namespace SandboxGrains.Grains.Tests;

[Collection(ClusterCollection.Name)]
public sealed class RunnerGrainTests(ClusterFixture fixture)
{
    private static readonly RunnerResources Capacity = new(Cpu: 4, MemoryMb: 4096, Sandboxes: 3);

    private static string NewRunnerId() => $"runner-{Guid.NewGuid():N}";

    private static RunnerHeartbeat Beat(string? dockerError = null) =>
        new("unix:///var/run/docker.sock", "S127.0.0.1:11111:1", Capacity, dockerError, "20.10.24");

    [Fact]
    public async Task Heartbeat_FirstOne_MakesRunnerHealthyAndListed()
    {
        var id = NewRunnerId();
        var runner = fixture.Grains.GetGrain<IRunnerGrain>(id);

        Assert.Equal(RunnerStatus.Unreachable, (await runner.GetInfoAsync(TestContext.Current.CancellationToken)).Status);
        await runner.HeartbeatAsync(Beat(), TestContext.Current.CancellationToken);

        var info = await runner.GetInfoAsync(TestContext.Current.CancellationToken);
        Assert.Equal(RunnerStatus.Healthy, info.Status);
        Assert.Equal(Capacity, info.Capacity);
        Assert.Equal("20.10.24", info.DockerVersion);
        Assert.Contains(id, await fixture.Grains.GetGrain<IRunnerRegistryGrain>(IRunnerRegistryGrain.Key).ListAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task TryReserve_UntilFull_RefusesTheOneThatDoesNotFit_AndReleaseFreesRoom()
    {
        var runner = fixture.Grains.GetGrain<IRunnerGrain>(NewRunnerId());
        await runner.HeartbeatAsync(Beat(), TestContext.Current.CancellationToken);
        var oneGig = new RunnerResources(1, 1024, 1);

        Assert.True(await runner.TryReserveAsync("sb-a", oneGig, TestContext.Current.CancellationToken));
        Assert.True(await runner.TryReserveAsync("sb-b", oneGig, TestContext.Current.CancellationToken));
        Assert.False(await runner.TryReserveAsync("sb-big", new RunnerResources(1, 4096, 1), TestContext.Current.CancellationToken));
        Assert.True(await runner.TryReserveAsync("sb-c", oneGig, TestContext.Current.CancellationToken));
        Assert.False(await runner.TryReserveAsync("sb-d", new RunnerResources(0.1, 1, 1), TestContext.Current.CancellationToken)); // sandbox count is full

        var full = await runner.GetInfoAsync(TestContext.Current.CancellationToken);
        Assert.Equal(new RunnerResources(3, 3072, 3), full.Allocated);
        Assert.Equal(3, full.SandboxCount);
        Assert.Equal(1.0, full.AllocationRatio);

        await runner.ReleaseAsync("sb-b", TestContext.Current.CancellationToken);
        await runner.ReleaseAsync("sb-unknown", TestContext.Current.CancellationToken);
        Assert.True(await runner.TryReserveAsync("sb-d", oneGig, TestContext.Current.CancellationToken));
        Assert.Equal(3, (await runner.GetInfoAsync(TestContext.Current.CancellationToken)).SandboxCount);
    }

    [Fact]
    public async Task TryReserve_SameSandboxTwice_ReplacesItsReservation()
    {
        var runner = fixture.Grains.GetGrain<IRunnerGrain>(NewRunnerId());
        await runner.HeartbeatAsync(Beat(), TestContext.Current.CancellationToken);

        Assert.True(await runner.TryReserveAsync("sb-a", new RunnerResources(2, 2048, 1), TestContext.Current.CancellationToken));
        Assert.True(await runner.TryReserveAsync("sb-a", new RunnerResources(3, 3000, 1), TestContext.Current.CancellationToken));

        var info = await runner.GetInfoAsync(TestContext.Current.CancellationToken);
        Assert.Equal(new RunnerResources(3, 3000, 1), info.Allocated);
    }

    [Fact]
    public async Task TryReserve_DockerDown_IsRefusedAndReasonShown()
    {
        var runner = fixture.Grains.GetGrain<IRunnerGrain>(NewRunnerId());
        await runner.HeartbeatAsync(Beat("cannot reach Docker at unix:///var/run/docker.sock: Connection refused"), TestContext.Current.CancellationToken);

        var info = await runner.GetInfoAsync(TestContext.Current.CancellationToken);
        Assert.Equal(RunnerStatus.Unhealthy, info.Status);
        Assert.Contains("Connection refused", info.StatusReason, StringComparison.Ordinal);
        Assert.False(await runner.TryReserveAsync("sb-a", new RunnerResources(1, 1, 1), TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Heartbeat_SilentTooLong_RunnerBecomesUnreachableUntilNextBeat()
    {
        var runner = fixture.Grains.GetGrain<IRunnerGrain>(NewRunnerId());
        await runner.HeartbeatAsync(Beat(), TestContext.Current.CancellationToken);

        // Other tests share the clock; advancing only moves time forward, which their fresh beats tolerate.
        fixture.Time.Advance(RunnerGrain.HeartbeatTimeout + TimeSpan.FromSeconds(1));

        var silent = await runner.GetInfoAsync(TestContext.Current.CancellationToken);
        Assert.Equal(RunnerStatus.Unreachable, silent.Status);
        Assert.Contains("no heartbeat", silent.StatusReason, StringComparison.Ordinal);
        Assert.False(await runner.TryReserveAsync("sb-a", new RunnerResources(1, 1, 1), TestContext.Current.CancellationToken));

        await runner.HeartbeatAsync(Beat(), TestContext.Current.CancellationToken);
        Assert.Equal(RunnerStatus.Healthy, (await runner.GetInfoAsync(TestContext.Current.CancellationToken)).Status);
    }

    [Fact]
    public async Task Allocations_SurviveDeactivation()
    {
        var id = NewRunnerId();
        var runner = fixture.Grains.GetGrain<IRunnerGrain>(id);
        await runner.HeartbeatAsync(Beat(), TestContext.Current.CancellationToken);
        Assert.True(await runner.TryReserveAsync("sb-kept", new RunnerResources(1, 512, 1), TestContext.Current.CancellationToken));

        var management = fixture.Grains.GetGrain<IManagementGrain>(0);
        await management.ForceActivationCollection(TimeSpan.Zero, TestContext.Current.CancellationToken);

        var after = await fixture.Grains.GetGrain<IRunnerGrain>(id).GetInfoAsync(TestContext.Current.CancellationToken);
        Assert.Equal(1, after.SandboxCount);
        Assert.Equal(512, after.Allocated.MemoryMb);
    }
}
