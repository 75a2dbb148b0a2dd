using SandboxGrains.Docker;
using SandboxGrains.Previews;
using SandboxGrains.Sandboxes;
using Xunit;
using static SandboxGrains.Grains.Tests.Sandboxes.SandboxTestKit;

namespace SandboxGrains.Grains.Tests.Sandboxes;

/// <summary>
/// The sandbox grain's life on a real in-process cluster: create, stop, start, delete. Container work is faked at
/// <c>ISandboxContainers</c>, the interface the runner grain resolves on its own silo and hands every container operation
/// to, rather than at <c>IContainerRuntime</c> under it: below that seam sit the daemon probes over real HTTP to the
/// container's address and waits on the clock, which an in-memory Docker cannot answer and a fake clock would stall. The
/// seam keeps everything above it real: the sandbox grain, the runner grain (reservations, the engine's exceptions turned
/// into sandbox errors), placement on the runner's silo, the registries and the preview grains.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class SandboxLifecycleTests(ClusterFixture fixture)
{
    [Fact]
    public async Task CreateAsync_Waiting_StartsWithTheDaemonsAddressAndReservation()
    {
        var reservations = await fixture.ReservationsAsync();

        var (grain, info) = await fixture.CreateStartedAsync();

        var container = fixture.Containers.Find(info.ContainerId!);
        Assert.NotNull(container);
        Assert.Equal(FakeSandboxContainers.DaemonVersion, info.DaemonVersion);
        Assert.Equal(ClusterFixture.RunnerId, info.RunnerId);
        Assert.Equal("blue", info.Labels["team"]);
        var endpoint = await grain.GetDaemonEndpointAsync(Cancel);
        Assert.Equal(container.Address, endpoint.Address);
        Assert.Equal(container.Token, endpoint.Token);
        Assert.True(await fixture.IsListedAsync(info.Id));
        Assert.Equal(reservations + 1, await fixture.ReservationsAsync());
    }

    [Fact]
    public async Task CreateAsync_ContainerCannotBeMade_LeavesNothingBehind()
    {
        await fixture.BeatAsync();
        var id = SandboxIds.New();
        var grain = fixture.Sandbox(id);
        fixture.Containers.BeforeCreate(id, _ => throw new ContainerRuntimeException("no space left on device"));
        var reservations = await fixture.ReservationsAsync();

        var error = await Assert.ThrowsAsync<SandboxException>(() => grain.CreateAsync(SandboxTestKit.Spec(), wait: true, Cancel));

        Assert.Equal(SandboxErrorCodes.Failed, error.Code);
        Assert.Contains("no space left on device", error.Message, StringComparison.Ordinal);
        Assert.Equal(SandboxErrorCodes.NotFound, await grain.ReadErrorAsync());
        Assert.False(await fixture.IsListedAsync(id));
        Assert.Equal(reservations, await fixture.ReservationsAsync());
    }

    [Fact]
    public async Task CreateAsync_ImageNotOnTheRunner_IsPulledThereOnce_ThenTheCreateSucceeds()
    {
        await fixture.BeatAsync();
        var id = SandboxIds.New();
        var spec = SandboxTestKit.Spec() with { Image = $"registry.example.com/team/app:{id}" };
        fixture.Containers.BeforeCreate(id, _ => throw new ImageNotFoundException(spec.Image, null));

        var info = await fixture.Sandbox(id).CreateAsync(spec, wait: true, Cancel);

        Assert.Equal(SandboxState.Started, info.State);
        Assert.Null(info.Pull);
        Assert.Equal([spec.Image], fixture.Containers.Pulled.Where(i => i == spec.Image));
        Assert.Equal(SandboxState.Started, info.LastTransition?.To);
        await fixture.Sandbox(id).DeleteAsync(false, Cancel);
    }

    [Fact]
    public async Task CreateAsync_NotWaiting_ReturnsCreatingAndFailsIntoErrorInTheBackground()
    {
        await fixture.BeatAsync();
        var id = SandboxIds.New();
        var grain = fixture.Sandbox(id);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        fixture.Containers.BeforeCreate(id, _ => release.Task);
        var reservations = await fixture.ReservationsAsync();

        var created = await grain.CreateAsync(SandboxTestKit.Spec(), wait: false, Cancel);

        Assert.Equal(SandboxState.Creating, created.State);
        Assert.Equal(SandboxState.Creating, (await grain.GetAsync(Cancel)).State);
        Assert.Equal(reservations + 1, await fixture.ReservationsAsync());

        release.SetException(new ContainerRuntimeException("the daemon could not be started with /opt/sandboxgrains/sandboxd (exit code 126)"));
        await Poll.UntilAsync(async () => (await grain.GetAsync(Cancel)).State == SandboxState.Error, "the sandbox in error");

        var failed = await grain.GetAsync(Cancel);
        Assert.Contains("the daemon could not be started", failed.ErrorReason, StringComparison.Ordinal);
        Assert.True(await fixture.IsListedAsync(id));
        Assert.Equal(reservations, await fixture.ReservationsAsync());
    }

    [Fact]
    public async Task CreateAsync_NotWaiting_FinishesInTheBackground()
    {
        await fixture.BeatAsync();
        var grain = fixture.Sandbox(SandboxIds.New());

        await grain.CreateAsync(SandboxTestKit.Spec(), wait: false, Cancel);

        await Poll.UntilAsync(async () => (await grain.GetAsync(Cancel)).State == SandboxState.Started, "the sandbox started");
        Assert.NotNull((await grain.GetDaemonEndpointAsync(Cancel)).Address);
    }

    [Fact]
    public async Task CreateAsync_AlreadyExists_IsRefused()
    {
        var (grain, _) = await fixture.CreateStartedAsync();

        var error = await Assert.ThrowsAsync<SandboxException>(() => grain.CreateAsync(SandboxTestKit.Spec(), wait: true, Cancel));

        Assert.Equal(SandboxErrorCodes.InvalidState, error.Code);
    }

    [Fact]
    public async Task StopAsync_ThenStartAsync_StopsAndStartsTheContainer()
    {
        var (grain, info) = await fixture.CreateStartedAsync();
        var containerId = info.ContainerId!;

        var stopped = await grain.StopAsync(Cancel);

        Assert.Equal(SandboxState.Stopped, stopped.State);
        Assert.False(fixture.Containers.Find(containerId)!.Running);
        Assert.Null((await grain.GetDaemonEndpointAsync(Cancel)).Address);
        Assert.Equal(SandboxState.Stopped, (await grain.StopAsync(Cancel)).State);

        var started = await grain.StartAsync(Cancel);

        Assert.Equal(SandboxState.Started, started.State);
        Assert.Equal(containerId, started.ContainerId);
        Assert.True(fixture.Containers.Find(containerId)!.Running);
        Assert.Equal(fixture.Containers.Find(containerId)!.Address, (await grain.GetDaemonEndpointAsync(Cancel)).Address);
    }

    [Fact]
    public async Task StopAsync_ContainerRemovedOutside_ErrorWithReason()
    {
        var (grain, info) = await fixture.CreateStartedAsync();
        fixture.Containers.RemoveOutside(info.ContainerId!);

        var error = await Assert.ThrowsAsync<SandboxException>(() => grain.StopAsync(Cancel));

        Assert.Equal(SandboxErrorCodes.ContainerNotFound, error.Code);
        var after = await grain.GetAsync(Cancel);
        Assert.Equal(SandboxState.Error, after.State);
        Assert.Equal("the container was removed outside SandboxGrains", after.ErrorReason);
    }

    [Fact]
    public async Task StopAsync_CallerCancels_StopIsCutShortAndSandboxStaysStarted()
    {
        var (grain, info) = await fixture.CreateStartedAsync();
        var runnerEntered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var runnerCancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        fixture.Containers.BeforeStop(info.ContainerId!, async runnerToken =>
        {
            using var _ = runnerToken.Register(() => runnerCancelled.TrySetResult());
            runnerEntered.TrySetResult();
            await Task.Delay(Timeout.Infinite, runnerToken);
        });
        using var caller = CancellationTokenSource.CreateLinkedTokenSource(Cancel);

        // Cancelled once the runner works on the stop: the grain shows "stopping" a moment before it calls the runner,
        // and a call made with a token already cancelled never reaches the runner at all.
        var stop = grain.StopAsync(caller.Token);
        await runnerEntered.Task.WaitAsync(TimeSpan.FromSeconds(30), Cancel);
        Assert.Equal(SandboxState.Stopping, (await grain.GetAsync(Cancel)).State);
        await caller.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => stop);
        await runnerCancelled.Task.WaitAsync(TimeSpan.FromSeconds(10), Cancel);
        await Poll.UntilAsync(async () => (await grain.GetAsync(Cancel)).State == SandboxState.Started, "the sandbox back to started");
        Assert.True(fixture.Containers.Find(info.ContainerId!)!.Running);
    }

    [Fact]
    public async Task DeleteAsync_WithPreviews_RevokesThemAndForgetsTheSandbox()
    {
        var (grain, info) = await fixture.CreateStartedAsync();
        var reservations = await fixture.ReservationsAsync();
        var forever = await grain.CreatePreviewAsync(8080, null, Cancel);
        var hour = await grain.CreatePreviewAsync(3000, TimeSpan.FromHours(1), Cancel);
        Assert.NotNull(await fixture.Grains.GetGrain<IPreviewGrain>(forever.Record.TokenHash).GetAsync(Cancel));

        await grain.DeleteAsync(removeAdoptedContainer: false, Cancel);

        Assert.Null(await fixture.Grains.GetGrain<IPreviewGrain>(forever.Record.TokenHash).GetAsync(Cancel));
        Assert.Null(await fixture.Grains.GetGrain<IPreviewGrain>(hour.Record.TokenHash).GetAsync(Cancel));
        Assert.Null(fixture.Containers.Find(info.ContainerId!));
        Assert.Equal(SandboxErrorCodes.NotFound, await grain.ReadErrorAsync());
        Assert.False(await fixture.IsListedAsync(info.Id));
        Assert.Equal(reservations - 1, await fixture.ReservationsAsync());
    }

    [Fact]
    public async Task RecordActivityAsync_ReportsWithinAMinute_AreShownAtOnceButWrittenOncePerMinute()
    {
        var (grain, _) = await fixture.CreateStartedAsync();
        await grain.StopAsync(Cancel); // a stopped sandbox has no health timer holding it active, so it can be collected below
        var first = fixture.Time.GetUtcNow();
        var second = first + TimeSpan.FromSeconds(10);

        await grain.RecordActivityAsync(first);
        await Poll.UntilAsync(async () => (await grain.GetAsync(Cancel)).LastActivityAt == first, "the first report shown");
        await grain.RecordActivityAsync(second);
        await Poll.UntilAsync(async () => (await grain.GetAsync(Cancel)).LastActivityAt == second, "the second report shown");

        await fixture.Grains.GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero, Cancel);

        Assert.Equal(first, (await grain.GetAsync(Cancel)).LastActivityAt);
    }
}
