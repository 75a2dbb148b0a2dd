using System.Globalization;
using SandboxGrains.Runners;
using SandboxGrains.Sandboxes;
using Xunit;
using static SandboxGrains.Grains.Tests.Sandboxes.SandboxTestKit;

namespace SandboxGrains.Grains.Tests.Sandboxes;

/// <summary>
/// A grain that lost its state takes its container back (from the labels, or from an adopted container's marker), and
/// adoption makes a sandbox of a running container the cluster did not create. Container work is faked at
/// <c>ISandboxContainers</c> (see <see cref="SandboxLifecycleTests"/>).
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class SandboxRecoveryTests(ClusterFixture fixture)
{
    private static readonly DateTimeOffset LongAgo = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);

    [Fact]
    public async Task ReconcileAsync_NoState_RebuildsFromTheLabels()
    {
        var id = SandboxIds.New();
        var container = new FakeContainer
        {
            Id = $"planted-{id}",
            Name = $"sandbox-{id}",
            // The label format on the wire, spelled out: containers made by earlier versions must still be read back.
            Labels = new Dictionary<string, string>
            {
                ["sandboxgrains.managed"] = "true",
                ["sandboxgrains.sandbox-id"] = id,
                ["sandboxgrains.runner-id"] = ClusterFixture.RunnerId,
                ["sandboxgrains.name"] = "from-labels",
                ["sandboxgrains.injection"] = "copy",
                ["sandboxgrains.work-dir"] = "/work",
                ["sandboxgrains.created-at"] = LongAgo.ToString("O", CultureInfo.InvariantCulture),
                ["sandboxgrains.cpu"] = "1.5",
                ["sandboxgrains.memory-mb"] = "768",
                ["sandboxgrains.label.team"] = "blue",
                ["com.example.other"] = "not ours",
            },
            Env = ["PATH=/bin", "QUERY=a=b"],
            User = "1000",
            WorkingDir = "/image-default",
            Token = "secret-from-the-container",
        };
        fixture.Containers.Plant(container);
        var reservations = await fixture.ReservationsAsync();
        var grain = fixture.Sandbox(id);

        var rebuilt = await grain.ReconcileAsync(ClusterFixture.RunnerId, container.Id, Cancel);

        Assert.Equal(SandboxState.Started, rebuilt.State);
        Assert.Equal("from-labels", rebuilt.Name);
        Assert.Equal(container.Image, rebuilt.Image);
        Assert.Equal(container.Id, rebuilt.ContainerId);
        Assert.Equal(InjectionMode.Copy, rebuilt.Injection);
        Assert.Equal("/work", rebuilt.WorkDir);
        Assert.Equal(1.5, rebuilt.Cpu);
        Assert.Equal(768, rebuilt.MemoryMb);
        Assert.Equal(LongAgo, rebuilt.CreatedAt);
        Assert.Equal(new Dictionary<string, string> { ["team"] = "blue" }, rebuilt.Labels);
        Assert.Equal(new Dictionary<string, string> { ["PATH"] = "/bin", ["QUERY"] = "a=b" }, rebuilt.Env);
        Assert.Equal("1000", rebuilt.User);
        Assert.False(rebuilt.Adopted);
        Assert.Equal("secret-from-the-container", (await grain.GetDaemonEndpointAsync(Cancel)).Token);
        Assert.True(await fixture.IsListedAsync(id));
        Assert.Equal(reservations + 1, await fixture.ReservationsAsync());
    }

    [Fact]
    public async Task ReconcileAsync_NoStateAndNoSecret_ErrorWithReason()
    {
        var id = SandboxIds.New();
        fixture.Containers.Plant(new FakeContainer
        {
            Id = $"planted-{id}",
            Name = $"sandbox-{id}",
            Labels = new Dictionary<string, string> { ["sandboxgrains.managed"] = "true", ["sandboxgrains.sandbox-id"] = id },
            Token = null,
        });

        var rebuilt = await fixture.Sandbox(id).ReconcileAsync(ClusterFixture.RunnerId, $"planted-{id}", Cancel);

        Assert.Equal(SandboxState.Error, rebuilt.State);
        Assert.Equal("the daemon secret could not be read back from the container", rebuilt.ErrorReason);
        Assert.Equal(id, rebuilt.Name);
    }

    [Fact]
    public async Task ReconcileAsync_NoStateAdoptedContainer_RebuildsFromTheMarker()
    {
        var id = SandboxIds.New();
        var container = new FakeContainer
        {
            Id = $"adopted-{id}",
            Name = $"someones-app-{id}",
            Image = "nginx:latest",
            Env = ["PATH=/usr/bin"],
            WorkingDir = "/usr/share/nginx",
            Token = "secret-beside-the-marker",
            Adoption = new AdoptionMarker(id, ClusterFixture.RunnerId, InjectionMode.None, "/srv", LongAgo),
        };
        fixture.Containers.Plant(container);
        var grain = fixture.Sandbox(id);

        var rebuilt = await grain.ReconcileAsync(ClusterFixture.RunnerId, container.Id, Cancel);

        Assert.Equal(SandboxState.Started, rebuilt.State);
        Assert.True(rebuilt.Adopted);
        Assert.Equal(container.Name, rebuilt.Name);
        Assert.Equal("nginx:latest", rebuilt.Image);
        Assert.Equal(InjectionMode.None, rebuilt.Injection);
        Assert.Equal("/srv", rebuilt.WorkDir);
        Assert.Equal(LongAgo, rebuilt.CreatedAt);
        Assert.Equal(0, rebuilt.Cpu);
        Assert.Empty(rebuilt.Labels);
        Assert.Equal("/usr/bin", rebuilt.Env["PATH"]);
        Assert.Equal("secret-beside-the-marker", (await grain.GetDaemonEndpointAsync(Cancel)).Token);
    }

    [Fact]
    public async Task AdoptAsync_RunningForeignContainer_BecomesAStartedSandboxAndDeleteLeavesItRunning()
    {
        await fixture.BeatAsync();
        var id = SandboxIds.New();
        var container = new FakeContainer { Id = $"foreign-{id}", Name = $"app-{id}", WorkingDir = "/app", Env = ["MODE=prod"] };
        fixture.Containers.Plant(container);
        var grain = fixture.Sandbox(id);

        var adopted = await grain.AdoptAsync(container.Name, InjectionMode.Copy, Cancel);

        Assert.Equal(SandboxState.Started, adopted.State);
        Assert.True(adopted.Adopted);
        Assert.Equal(container.Name, adopted.Name);
        Assert.Equal("/app", adopted.WorkDir);
        Assert.Equal("prod", adopted.Env["MODE"]);
        Assert.Equal(new AdoptionMarker(id, ClusterFixture.RunnerId, InjectionMode.Copy, "/app", fixture.Time.GetUtcNow()), fixture.Containers.Find(container.Id)!.Adoption);

        await grain.DeleteAsync(removeAdoptedContainer: false, Cancel);

        var left = fixture.Containers.Find(container.Id);
        Assert.NotNull(left);
        Assert.True(left.Running);
        Assert.Null(left.Adoption);
    }

    [Fact]
    public async Task AdoptAsync_ContainerAlreadyManaged_IsRefusedAndNothingRecorded()
    {
        await fixture.BeatAsync();
        var (_, owner) = await fixture.CreateStartedAsync();
        var id = SandboxIds.New();
        var grain = fixture.Sandbox(id);

        var error = await Assert.ThrowsAsync<SandboxException>(() => grain.AdoptAsync(owner.ContainerId!, InjectionMode.Copy, Cancel));

        Assert.Equal(SandboxErrorCodes.AlreadyManaged, error.Code);
        Assert.Contains(owner.Id, error.Message, StringComparison.Ordinal);
        Assert.Equal(SandboxErrorCodes.NotFound, await grain.ReadErrorAsync());
        Assert.False(await fixture.IsListedAsync(id));
    }

    [Fact]
    public async Task AdoptAsync_ContainerAdoptedBefore_IsRefused()
    {
        await fixture.BeatAsync();
        var first = SandboxIds.New();
        var container = new FakeContainer
        {
            Id = $"adopted-{first}",
            Name = $"app-{first}",
            Token = "secret",
            Adoption = new AdoptionMarker(first, ClusterFixture.RunnerId, InjectionMode.Copy, "/", LongAgo),
        };
        fixture.Containers.Plant(container);

        var error = await Assert.ThrowsAsync<SandboxException>(() => fixture.Sandbox(SandboxIds.New()).AdoptAsync(container.Name, InjectionMode.Copy, Cancel));

        Assert.Equal(SandboxErrorCodes.AlreadyManaged, error.Code);
        Assert.Contains(first, error.Message, StringComparison.Ordinal);
    }
}
