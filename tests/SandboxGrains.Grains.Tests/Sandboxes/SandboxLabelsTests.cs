using SandboxGrains.Runners;
using SandboxGrains.Sandboxes;
using Xunit;

namespace SandboxGrains.Grains.Tests.Sandboxes;

/// <summary>The label format containers carry: what the runner writes at create, and that it reads back the same.</summary>
public sealed class SandboxLabelsTests
{
    private static readonly SandboxContainerRequest Request = new(
        "sbx1",
        "my sandbox",
        new SandboxSpec
        {
            Image = "sandboxgrains/base:latest",
            Cpu = 1.5,
            MemoryMb = 768,
            Injection = InjectionMode.Copy,
            Labels = new Dictionary<string, string> { ["team"] = "blue" },
            Volumes = [new SandboxGrains.Volumes.VolumeMount("ws", "/work/ws", ReadOnly: true)],
        },
        "secret",
        new DateTimeOffset(2026, 11, 23, 8, 0, 0, 250, TimeSpan.Zero));

    [Fact]
    public void Write_CreateRequest_GivesTheWireFormat()
    {
        var labels = SandboxLabels.For(Request, "/work").Write("sbx1", "runner-1");

        Assert.Equal(
            new Dictionary<string, string>
            {
                ["sandboxgrains.managed"] = "true",
                ["sandboxgrains.sandbox-id"] = "sbx1",
                ["sandboxgrains.runner-id"] = "runner-1",
                ["sandboxgrains.name"] = "my sandbox",
                ["sandboxgrains.injection"] = "copy",
                ["sandboxgrains.work-dir"] = "/work",
                ["sandboxgrains.created-at"] = "2026-11-23T08:00:00.2500000+00:00",
                ["sandboxgrains.cpu"] = "1.5",
                ["sandboxgrains.memory-mb"] = "768",
                ["sandboxgrains.auto-stop-minutes"] = "15",
                ["sandboxgrains.auto-archive-minutes"] = "10080",
                ["sandboxgrains.auto-delete-minutes"] = "",
                ["sandboxgrains.ttl-minutes"] = "",
                ["sandboxgrains.image"] = Request.Spec.Image,
                ["sandboxgrains.pool-id"] = "",
                ["sandboxgrains.volumes"] = """[{"name":"ws","mountPath":"/work/ws","readOnly":true}]""",
                ["sandboxgrains.label.team"] = "blue",
            },
            labels);
    }

    [Fact]
    public void Read_WrittenLabels_GivesTheSameValues()
    {
        var written = SandboxLabels.For(Request, "/work");

        var read = SandboxLabels.Read(written.Write("sbx1", "runner-1"));

        Assert.Equal(written with { UserLabels = read.UserLabels, Volumes = read.Volumes }, read);
        Assert.Equal(written.UserLabels, read.UserLabels);
        Assert.Equal(written.Volumes, read.Volumes);
    }

    [Fact]
    public void Read_MissingOrDamagedValues_LeavesThemEmpty()
    {
        var read = SandboxLabels.Read(new Dictionary<string, string>
        {
            ["sandboxgrains.injection"] = "teleport",
            ["sandboxgrains.cpu"] = "lots",
            ["sandboxgrains.created-at"] = "yesterday",
        });

        Assert.Equal(new SandboxLabels { Injection = InjectionMode.Mount, UserLabels = read.UserLabels }, read);
        Assert.Empty(read.UserLabels);
    }

    [Fact]
    public void IsManagedAndSandboxIdOf_LabelledAndForeignContainers_TellThemApart()
    {
        var labelled = SandboxLabels.For(Request, "/").Write("sbx1", "runner-1");

        Assert.True(SandboxLabels.IsManaged(labelled));
        Assert.Equal("sbx1", SandboxLabels.SandboxIdOf(labelled));
        Assert.False(SandboxLabels.IsManaged(new Dictionary<string, string> { ["com.example"] = "x" }));
        Assert.Null(SandboxLabels.SandboxIdOf(new Dictionary<string, string>()));
    }
}
