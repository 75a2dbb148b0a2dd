using SandboxGrains.Grains.Tests.Sandboxes;
using SandboxGrains.Sandboxes;
using SandboxGrains.Snapshots;
using Xunit;
using static SandboxGrains.Grains.Tests.Sandboxes.SandboxTestKit;

namespace SandboxGrains.Grains.Tests.Snapshots;

/// <summary>
/// The snapshot grain's logic on the in-process cluster (no registry configured, so snapshots live on the runner):
/// building from a sandbox, creates from it placed on its runner and holding it, deletes refused while one does, and
/// nothing left behind by a snapshot that could not be taken.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class SnapshotGrainTests(ClusterFixture fixture)
{
    [Fact]
    public async Task Snapshot_OfAStartedSandbox_IsActiveOnItsRunner_AndACreateFromItRunsItsImageThere()
    {
        var (source, sourceInfo) = await fixture.CreateStartedAsync();
        var name = $"env-{Guid.NewGuid():N}"[..16];

        var snapshot = await Snapshot(name).CreateAsync(sourceInfo.Id, wait: true, Cancel);

        Assert.Equal(SnapshotState.Active, snapshot.State);
        Assert.Equal(ClusterFixture.RunnerId, snapshot.RunnerId);
        Assert.Null(snapshot.Registry);
        Assert.StartsWith($"{SnapshotNames.Repository}/{name}:", snapshot.Image, StringComparison.Ordinal);
        Assert.Contains(snapshot.Image, fixture.Containers.SnapshotImages);
        Assert.Contains(name, await Registry.ListAsync(Cancel));

        var id = SandboxIds.New();
        var created = await fixture.Sandbox(id).CreateAsync(Spec() with { Snapshot = name }, wait: true, Cancel);
        Assert.Equal(SandboxState.Started, created.State);
        Assert.Equal(snapshot.Image, created.Image);
        Assert.Equal(name, created.Snapshot);
        Assert.Equal(ClusterFixture.RunnerId, created.RunnerId);

        await fixture.Sandbox(id).DeleteAsync(false, Cancel);
        await source.DeleteAsync(false, Cancel);
        await Snapshot(name).DeleteAsync(Cancel);
        Assert.DoesNotContain(snapshot.Image, fixture.Containers.SnapshotImages);
        Assert.DoesNotContain(name, await Registry.ListAsync(Cancel));
        Assert.Equal(SandboxErrorCodes.SnapshotNotFound, (await Assert.ThrowsAsync<SandboxException>(() => Snapshot(name).GetAsync(Cancel))).Code);
    }

    [Fact]
    public async Task Delete_WhileACreateFromTheSnapshotRuns_IsRefused_AndWorksOnceItIsDone()
    {
        await fixture.BeatAsync();
        var (source, sourceInfo) = await fixture.CreateStartedAsync();
        var name = $"held-{Guid.NewGuid():N}"[..16];
        await Snapshot(name).CreateAsync(sourceInfo.Id, wait: true, Cancel);
        var id = SandboxIds.New();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        fixture.Containers.BeforeCreate(id, _ => release.Task);

        var creating = await fixture.Sandbox(id).CreateAsync(Spec() with { Snapshot = name }, wait: false, Cancel);
        Assert.Equal(SandboxState.Creating, creating.State);

        var refused = await Assert.ThrowsAsync<SandboxException>(() => Snapshot(name).DeleteAsync(Cancel));
        Assert.Equal(SandboxErrorCodes.SnapshotInUse, refused.Code);
        Assert.Contains(id, refused.Message, StringComparison.Ordinal);

        release.SetResult();
        await Poll.UntilAsync(async () => (await fixture.Sandbox(id).GetAsync(Cancel)).State == SandboxState.Started, "the create from the snapshot finishing");
        await Snapshot(name).DeleteAsync(Cancel);

        await fixture.Sandbox(id).DeleteAsync(false, Cancel);
        await source.DeleteAsync(false, Cancel);
    }

    [Fact]
    public async Task Snapshot_ThatCannotBeTaken_LeavesNoRecord_AndANameTakenTwiceIsRefused()
    {
        var missing = $"none-{Guid.NewGuid():N}"[..16];
        var notFound = await Assert.ThrowsAsync<SandboxException>(() => Snapshot(missing).CreateAsync(SandboxIds.New(), wait: true, Cancel));
        Assert.Equal(SandboxErrorCodes.NotFound, notFound.Code);
        Assert.DoesNotContain(missing, await Registry.ListAsync(Cancel));

        var (source, sourceInfo) = await fixture.CreateStartedAsync();
        await source.StopAsync(Cancel);
        await source.ArchiveAsync(Cancel);
        var archived = await Assert.ThrowsAsync<SandboxException>(() => Snapshot(missing).CreateAsync(sourceInfo.Id, wait: true, Cancel));
        Assert.Equal(SandboxErrorCodes.InvalidState, archived.Code);
        Assert.DoesNotContain(missing, await Registry.ListAsync(Cancel));
        Assert.Equal(SandboxErrorCodes.SnapshotNotFound, (await Assert.ThrowsAsync<SandboxException>(() => Snapshot(missing).GetAsync(Cancel))).Code);

        await source.StartAsync(Cancel);
        await Snapshot(missing).CreateAsync(sourceInfo.Id, wait: true, Cancel);
        var twice = await Assert.ThrowsAsync<SandboxException>(() => Snapshot(missing).CreateAsync(sourceInfo.Id, wait: true, Cancel));
        Assert.Equal(SandboxErrorCodes.SnapshotExists, twice.Code);

        await Snapshot(missing).DeleteAsync(Cancel);
        await source.DeleteAsync(false, Cancel);
    }

    private ISnapshotGrain Snapshot(string name) => fixture.Grains.GetGrain<ISnapshotGrain>(name);

    private ISnapshotRegistryGrain Registry => fixture.Grains.GetGrain<ISnapshotRegistryGrain>(ISnapshotRegistryGrain.Key);
}
