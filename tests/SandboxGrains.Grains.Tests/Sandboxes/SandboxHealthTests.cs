using SandboxGrains.Grains.Sandboxes;
using SandboxGrains.Sandboxes;
using Xunit;
using static SandboxGrains.Grains.Tests.Sandboxes.SandboxTestKit;

namespace SandboxGrains.Grains.Tests.Sandboxes;

/// <summary>
/// A started sandbox follows its container through the health check that fires every few seconds on the fake clock, and
/// through Docker events. Container work is faked at <c>ISandboxContainers</c> (see <see cref="SandboxLifecycleTests"/>).
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class SandboxHealthTests(ClusterFixture fixture)
{
    [Fact]
    public async Task HealthCheck_DaemonSilent_StaysStartedForTwoChecksAndFailsOnTheThird()
    {
        var (grain, info) = await fixture.CreateStartedAsync();
        var containerId = info.ContainerId!;
        fixture.Containers.Change(containerId, c => c.DaemonAnswers = false);

        await fixture.CheckHealthOnceAsync(grain, containerId);
        Assert.Equal(SandboxState.Started, (await grain.GetAsync(Cancel)).State);
        await fixture.CheckHealthOnceAsync(grain, containerId);
        Assert.Equal(SandboxState.Started, (await grain.GetAsync(Cancel)).State);
        await fixture.CheckHealthOnceAsync(grain, containerId);

        var failed = await grain.GetAsync(Cancel);
        Assert.Equal(SandboxState.Error, failed.State);
        Assert.Equal("the container runs but its daemon does not answer", failed.ErrorReason);
    }

    [Fact]
    public async Task HealthCheck_DaemonAnswersAgain_StartsTheCountOver()
    {
        var (grain, info) = await fixture.CreateStartedAsync();
        var containerId = info.ContainerId!;
        fixture.Containers.Change(containerId, c => c.DaemonAnswers = false);
        await fixture.CheckHealthOnceAsync(grain, containerId);
        await fixture.CheckHealthOnceAsync(grain, containerId);

        fixture.Containers.Change(containerId, c => c.DaemonAnswers = true);
        await fixture.CheckHealthOnceAsync(grain, containerId);
        fixture.Containers.Change(containerId, c => c.DaemonAnswers = false);
        await fixture.CheckHealthOnceAsync(grain, containerId);
        await fixture.CheckHealthOnceAsync(grain, containerId);

        Assert.Equal(SandboxState.Started, (await grain.GetAsync(Cancel)).State);
    }

    [Fact]
    public async Task HealthCheck_ContainerStoppedOutside_SandboxStopped()
    {
        var (grain, info) = await fixture.CreateStartedAsync();
        fixture.Containers.Change(info.ContainerId!, c => (c.Running, c.ExitReason) = (false, "exited with exit code 0"));

        await fixture.CheckHealthOnceAsync(grain, info.ContainerId!);

        var stopped = await grain.GetAsync(Cancel);
        Assert.Equal(SandboxState.Stopped, stopped.State);
        Assert.Null(stopped.ErrorReason);
        Assert.Null((await grain.GetDaemonEndpointAsync(Cancel)).Address);
    }

    [Fact]
    public async Task HealthCheck_ContainerRemovedOutside_ErrorWithReason()
    {
        var (grain, info) = await fixture.CreateStartedAsync();
        fixture.Containers.RemoveOutside(info.ContainerId!);

        await fixture.CheckHealthOnceAsync(grain, info.ContainerId!);

        var gone = await grain.GetAsync(Cancel);
        Assert.Equal(SandboxState.Error, gone.State);
        Assert.Equal("the container was removed outside SandboxGrains", gone.ErrorReason);
        Assert.Null((await grain.GetDaemonEndpointAsync(Cancel)).Address);
    }

    [Fact]
    public async Task HealthCheck_ContainerKilledOutOfMemory_ErrorWithReason()
    {
        var (grain, info) = await fixture.CreateStartedAsync();
        fixture.Containers.Change(
            info.ContainerId!, c => (c.Running, c.ExitReason) = (false, "killed for running out of memory (exit code 137)"));

        await fixture.CheckHealthOnceAsync(grain, info.ContainerId!);

        var killed = await grain.GetAsync(Cancel);
        Assert.Equal(SandboxState.Error, killed.State);
        Assert.Equal("the container was killed for running out of memory (exit code 137)", killed.ErrorReason);
    }

    [Fact]
    public async Task HealthCheck_AfterStop_NoLongerRuns()
    {
        var (grain, info) = await fixture.CreateStartedAsync();
        await grain.StopAsync(Cancel);
        var checks = fixture.Containers.ChecksOf(info.ContainerId!);

        fixture.Time.Advance(SandboxHealth.CheckPeriod * 3);
        await grain.RevokePreviewAsync("no-such-link", Cancel);

        Assert.Equal(checks, fixture.Containers.ChecksOf(info.ContainerId!));
    }

    [Fact]
    public async Task OnContainerEventAsync_ContainerDied_SandboxFollowsAtOnce()
    {
        var (grain, info) = await fixture.CreateStartedAsync();
        fixture.Containers.Change(info.ContainerId!, c => (c.Running, c.ExitReason) = (false, "exited with exit code 1"));

        await grain.OnContainerEventAsync(info.ContainerId!, "die");

        await Poll.UntilAsync(async () => (await grain.GetAsync(Cancel)).State == SandboxState.Stopped, "the sandbox stopped");
    }
}
