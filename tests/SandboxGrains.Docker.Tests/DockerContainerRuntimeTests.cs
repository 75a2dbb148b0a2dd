using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using SandboxGrains.Testing;
using Xunit;

namespace SandboxGrains.Docker.Tests;

public sealed class DockerContainerRuntimeTests : IAsyncLifetime
{
    private const string Busybox = "sandboxgrains/busybox:latest";
    private readonly string _testId = $"sgtest-{Guid.NewGuid():N}"[..19];
    private readonly DockerContainerRuntime _runtime = new(Options.Create(new DockerOptions()), NullLogger<DockerContainerRuntime>.Instance);

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        // Whatever a failed test left behind goes, found by this test's own label.
        try
        {
            foreach (var left in await _runtime.ListContainersAsync(new Dictionary<string, string> { ["sandboxgrains.test"] = _testId }))
            {
                await _runtime.RemoveContainerAsync(left.Id);
            }
        }
        catch (ContainerRuntimeException)
        {
            // No engine: nothing was created.
        }

        _runtime.Dispose();
    }

    [Fact]
    public async Task PullImage_FromARealRegistry_ReportsEveryLayerAndItsBytes_AndNamesAnImageTheRegistryLacks()
    {
        await Requirements.DockerAsync();
        await using var registry = await RegistryServer.StartAsync();
        var image = await registry.PushFreshImageAsync("runtime/pull", megabytes: 8);
        var reports = new List<SandboxGrains.Images.PullProgress>();
        try
        {
            // Reported synchronously as the engine's messages arrive: every report is seen, however fast the pull.
            await _runtime.PullImageAsync(image, auth: null, new SynchronousProgress(reports.Add), TestContext.Current.CancellationToken);

            Assert.NotNull(await _runtime.InspectImageAsync(image, TestContext.Current.CancellationToken));
            var last = reports[^1];
            Assert.True(last.LayersTotal >= 1, $"layers: {last}");
            Assert.Equal(last.LayersTotal, last.LayersDone);
            Assert.True(last.BytesTotal >= 8 * 1024 * 1024 / 2, $"bytes: {last}");
            Assert.Equal(last.BytesTotal, last.BytesDone);
            Assert.Contains(reports, r => r.BytesDone < r.BytesTotal);
        }
        finally
        {
            await _runtime.RemoveImageAsync(image, TestContext.Current.CancellationToken);
        }

        var missing = await Assert.ThrowsAsync<RegistryException>(() =>
            _runtime.PullImageAsync($"{registry.Host}/runtime/none:1", auth: null, progress: null, TestContext.Current.CancellationToken));
        Assert.Equal(RegistryFailure.NotFound, missing.Failure);
        Assert.Equal($"image {registry.Host}/runtime/none:1 not found in registry {registry.Host}", missing.Message);
    }

    /// <summary>An <see cref="IProgress{T}"/> that calls back on the reporting thread (<see cref="Progress{T}"/> posts).</summary>
    private sealed class SynchronousProgress(Action<SandboxGrains.Images.PullProgress> report) : IProgress<SandboxGrains.Images.PullProgress>
    {
        public void Report(SandboxGrains.Images.PullProgress value) => report(value);
    }

    [Fact]
    public async Task Container_FullLifecycle_CreatesStartsExecsCopiesInspectsAndRemoves()
    {
        await Requirements.DockerAsync();
        var ct = TestContext.Current.CancellationToken;

        var id = await _runtime.CreateContainerAsync(new ContainerSpec
        {
            Image = Busybox,
            Name = _testId,
            Cmd = ["sleep", "300"],
            Labels = new Dictionary<string, string> { ["sandboxgrains.test"] = _testId, ["role"] = "lifecycle" },
            Env = new Dictionary<string, string> { ["GREETING"] = "hello from env" },
        }, ct);
        await _runtime.StartContainerAsync(id, ct);

        var exec = await _runtime.ExecAsync(id, new ExecRequest(["sh", "-c", "echo out $GREETING; echo err >&2; exit 3"]), ct);
        Assert.Equal(3, exec.ExitCode);
        Assert.Equal("out hello from env\n", exec.Stdout);
        Assert.Equal("err\n", exec.Stderr);

        await _runtime.CopyToContainerAsync(id, "/data/in", [new ArchiveFile("nested/hello.txt", Encoding.UTF8.GetBytes("copied in\n"))], ct);
        var cat = await _runtime.ExecAsync(id, new ExecRequest(["cat", "/data/in/nested/hello.txt"]), ct);
        Assert.Equal(0, cat.ExitCode);
        Assert.Equal("copied in\n", cat.Stdout);

        var details = await _runtime.InspectContainerAsync(id, ct);
        Assert.NotNull(details);
        Assert.True(details.Running);
        Assert.Equal("running", details.Status);
        Assert.Equal(_testId, details.Name);
        Assert.Equal("lifecycle", details.Labels["role"]);
        Assert.False(string.IsNullOrEmpty(details.IpAddress));

        var listed = await _runtime.ListContainersAsync(new Dictionary<string, string> { ["sandboxgrains.test"] = _testId, ["role"] = "lifecycle" }, ct);
        Assert.Equal(id, Assert.Single(listed).Id);

        await _runtime.StopContainerAsync(id, TimeSpan.FromSeconds(1), ct);
        var stopped = await _runtime.InspectContainerAsync(id, ct);
        Assert.False(stopped!.Running);
        Assert.Equal("exited", stopped.Status);

        await _runtime.RemoveContainerAsync(id, ct);
        Assert.Null(await _runtime.InspectContainerAsync(id, ct));
        Assert.Empty(await _runtime.ListContainersAsync(new Dictionary<string, string> { ["sandboxgrains.test"] = _testId }, ct));

        // Removing again is not an error: deletes must be idempotent for retries after a crash.
        await _runtime.RemoveContainerAsync(id, ct);
    }

    [Fact]
    public async Task StartWithInput_ReachesTheMainProcess_OnceAndNotInTheConfiguration()
    {
        await Requirements.DockerAsync();
        var ct = TestContext.Current.CancellationToken;
        var id = await _runtime.CreateContainerAsync(new ContainerSpec
        {
            Image = Busybox,
            Name = _testId,
            // The rest of stdin after the first line must be at its end: the attach is closed once the input is written.
            Cmd = ["sh", "-c", "head -n1 > /tmp/first; cat > /tmp/rest; sleep 300"],
            Labels = new Dictionary<string, string> { ["sandboxgrains.test"] = _testId },
            OpenStdin = true,
        }, ct);

        await _runtime.StartContainerAsync(id, Encoding.UTF8.GetBytes("the-secret\n"), ct);

        var read = "";
        for (var attempt = 0; attempt < 100 && read != "the-secret\n|"; attempt++)
        {
            read = (await _runtime.ExecAsync(id, new ExecRequest(["sh", "-c", "cat /tmp/first; printf '|'; cat /tmp/rest"]), ct)).Stdout;
            await Task.Delay(50, ct);
        }

        Assert.Equal("the-secret\n|", read);
        var details = await _runtime.InspectContainerAsync(id, ct);
        Assert.True(details!.Running);
        Assert.DoesNotContain("the-secret", string.Join(' ', details.Env), StringComparison.Ordinal);
    }

    [Fact]
    public async Task CreateContainer_AppliesLimitsAndHardening()
    {
        await Requirements.DockerAsync();
        var ct = TestContext.Current.CancellationToken;
        var network = $"{_testId}-net";
        await _runtime.EnsureIsolatedNetworkAsync(network, ct);
        await _runtime.EnsureIsolatedNetworkAsync(network, ct); // idempotent
        try
        {
            var id = await _runtime.CreateContainerAsync(new ContainerSpec
            {
                Image = Busybox,
                Cmd = ["sleep", "60"],
                Labels = new Dictionary<string, string> { ["sandboxgrains.test"] = _testId },
                CpuCores = 0.5,
                MemoryMb = 256,
                PidsLimit = 128,
                Network = network,
            }, ct);

            var inspected = await ProcessRunner.DockerAsync("inspect", "--format",
                "{{.HostConfig.NanoCpus}} {{.HostConfig.Memory}} {{.HostConfig.PidsLimit}} {{.HostConfig.Privileged}} {{.HostConfig.SecurityOpt}} {{.HostConfig.NetworkMode}}", id);
            Assert.Equal($"500000000 268435456 128 false [no-new-privileges] {network}", inspected);

            var icc = await ProcessRunner.DockerAsync("network", "inspect", "--format", "{{index .Options \"com.docker.network.bridge.enable_icc\"}}", network);
            Assert.Equal("false", icc);
            await _runtime.RemoveContainerAsync(id, ct);
        }
        finally
        {
            await ProcessRunner.RunAsync("docker", ["network", "rm", network], cancellationToken: ct);
        }
    }

    [Fact]
    public async Task CreateContainer_UnknownImage_ThrowsImageNotFound()
    {
        await Requirements.DockerAsync();
        var image = $"sandboxgrains/{_testId}:missing";

        var error = await Assert.ThrowsAsync<ImageNotFoundException>(() =>
            _runtime.CreateContainerAsync(new ContainerSpec { Image = image }, TestContext.Current.CancellationToken));

        Assert.Equal(image, error.Image);
        Assert.Null(await _runtime.InspectImageAsync(image, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task ExecAndStart_MissingContainer_ThrowContainerNotFound()
    {
        await Requirements.DockerAsync();
        var ct = TestContext.Current.CancellationToken;

        await Assert.ThrowsAsync<ContainerNotFoundException>(() => _runtime.ExecAsync(_testId, new ExecRequest(["true"]), ct));
        await Assert.ThrowsAsync<ContainerNotFoundException>(() => _runtime.StartContainerAsync(_testId, ct));
        Assert.Null(await _runtime.InspectContainerAsync(_testId, ct));
    }

    [Fact]
    public async Task InspectImage_Busybox_ReportsItsCommand()
    {
        await Requirements.DockerAsync();

        var image = await _runtime.InspectImageAsync(Busybox, TestContext.Current.CancellationToken);

        Assert.NotNull(image);
        Assert.Equal(["sh"], image.Cmd);
    }

    [Fact]
    public async Task Ping_UnreachableEndpoint_SaysWhereAndWhy()
    {
        var endpoint = $"unix:///tmp/{_testId}.sock";
        using var runtime = new DockerContainerRuntime(
            Options.Create(new DockerOptions { Endpoint = endpoint }), NullLogger<DockerContainerRuntime>.Instance);

        var error = await Assert.ThrowsAsync<DockerUnavailableException>(() => runtime.PingAsync(TestContext.Current.CancellationToken));

        Assert.StartsWith($"cannot reach Docker at {endpoint}: ", error.Message, StringComparison.Ordinal);
    }
}
