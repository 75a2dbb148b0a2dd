using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text.Json;

namespace SandboxGrains.EndToEnd.Tests;

/// <summary>A sandbox's whole life over HTTP against a real silo on real Docker.</summary>
public sealed class SandboxLifecycleTests(SandboxSiloFixture fixture) : IClassFixture<SandboxSiloFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private SandboxGrainsHttpClient Client => fixture.Client;

    [Fact]
    public async Task Busybox_CreateExecuteFilesStopStartDelete_FollowsDockerAtEveryStep()
    {
        var sandbox = await Client.CreateSandboxAsync(new CreateSandboxRequest { Image = "sandboxgrains/busybox:latest", Cpu = 0.5, MemoryMb = 128 }, Ct);
        Assert.Equal("started", sandbox.State);
        Assert.Equal("mount", sandbox.Injection);
        Assert.Equal("running", await Containers.StatusAsync(sandbox.ContainerId!));

        var echo = await Client.ExecuteAsync(sandbox.Id, "echo hello from $(hostname)", cancellationToken: Ct);
        Assert.Equal(0, echo.ExitCode);
        Assert.StartsWith("hello from ", echo.Result, StringComparison.Ordinal);

        var content = RandomNumberGenerator.GetBytes(3 * 1024 * 1024);
        await Client.UploadFileAsync(sandbox.Id, "/tmp/data.bin", new MemoryStream(content), Ct);
        await using (var downloaded = await Client.DownloadFileAsync(sandbox.Id, "/tmp/data.bin", Ct))
        {
            Assert.Equal(SHA256.HashData(content), await SHA256.HashDataAsync(downloaded, Ct));
        }

        var stopped = await Client.StopSandboxAsync(sandbox.Id, Ct);
        Assert.Equal("stopped", stopped.State);
        Assert.Equal("exited", await Containers.StatusAsync(sandbox.ContainerId!));
        var whileStopped = await Assert.ThrowsAsync<SandboxGrainsException>(() => Client.ExecuteAsync(sandbox.Id, "true", cancellationToken: Ct));
        Assert.Equal(409, whileStopped.Status);

        var started = await Client.StartSandboxAsync(sandbox.Id, Ct);
        Assert.Equal("started", started.State);
        Assert.Equal(0, (await Client.ExecuteAsync(sandbox.Id, "test -f /tmp/data.bin", cancellationToken: Ct)).ExitCode);

        await Client.DeleteSandboxAsync(sandbox.Id, cancellationToken: Ct);
        Assert.Empty(await Containers.WithLabelAsync("sandboxgrains.sandbox-id", sandbox.Id));
        var gone = await Assert.ThrowsAsync<SandboxGrainsException>(() => Client.GetSandboxAsync(sandbox.Id, Ct));
        Assert.Equal((404, "sandbox_not_found"), (gone.Status, gone.Code));
    }

    [Fact]
    public async Task BaseImage_PythonThroughToolbox_Runs()
    {
        var sandbox = await Client.CreateSandboxAsync(new CreateSandboxRequest { Image = "sandboxgrains/base:latest", Cpu = 0.5, MemoryMb = 256 }, Ct);
        try
        {
            var result = await Client.ExecuteAsync(sandbox.Id, "python3 -c \"import sys; print(sum(range(10)), sys.version_info[0])\"", cancellationToken: Ct);

            Assert.Equal(0, result.ExitCode);
            Assert.Equal("45 3", result.Result.Trim());
        }
        finally
        {
            await Client.DeleteSandboxAsync(sandbox.Id, cancellationToken: Ct);
        }
    }

    [Fact]
    public async Task Toolbox_BulkUploadThroughTheSilo_WritesEveryFile()
    {
        var sandbox = await Client.CreateSandboxAsync(new CreateSandboxRequest { Image = "sandboxgrains/busybox:latest", Cpu = 0.25, MemoryMb = 64 }, Ct);
        try
        {
            using var http = fixture.Silo.CreateClient();
            using var form = new MultipartFormDataContent("DAYTONA-FILE-BOUNDARY");
            form.Add(new StringContent("/work/a.txt"), "files[0].path");
            form.Add(new ByteArrayContent("alpha"u8.ToArray()), "files[0].file", "a.txt");
            form.Add(new StringContent("/work/sub/b.txt"), "files[1].path");
            form.Add(new ByteArrayContent("beta"u8.ToArray()), "files[1].file", "b.txt");

            using var response = await http.PostAsync($"/toolbox/{sandbox.Id}/files/bulk-upload", form, Ct);

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var cat = await Client.ExecuteAsync(sandbox.Id, "cat /work/a.txt /work/sub/b.txt", cancellationToken: Ct);
            Assert.Equal("alphabeta", cat.Result);
        }
        finally
        {
            await Client.DeleteSandboxAsync(sandbox.Id, cancellationToken: Ct);
        }
    }

    [Fact]
    public async Task Toolbox_SessionLogsFollowedOverWebSocketThroughTheSilo_StreamUntilTheCommandEnds()
    {
        var sandbox = await Client.CreateSandboxAsync(new CreateSandboxRequest { Image = "sandboxgrains/busybox:latest", Cpu = 0.25, MemoryMb = 64 }, Ct);
        try
        {
            using var http = fixture.Silo.CreateClient();
            (await http.PostAsJsonAsync($"/toolbox/{sandbox.Id}/process/session", new { sessionId = "ws" }, Ct)).EnsureSuccessStatusCode().Dispose();
            using var started = await http.PostAsJsonAsync($"/toolbox/{sandbox.Id}/process/session/ws/exec",
                new { command = "for i in 1 2 3; do echo out$i; echo err$i >&2; sleep 0.3; done", runAsync = true }, Ct);
            var commandId = (await started.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("cmdId").GetString();

            // The browser-facing key goes to the silo; the silo swaps it for the daemon's secret on the upgrade request.
            using var socket = new ClientWebSocket();
            socket.Options.SetRequestHeader("Authorization", $"Bearer {fixture.Silo.ApiKey}");
            var uri = new Uri($"ws://{fixture.Silo.BaseAddress.Authority}/toolbox/{sandbox.Id}/process/session/ws/command/{commandId}/logs?follow=true");
            await socket.ConnectAsync(uri, Ct);
            var (stdout, stderr, closed) = await DaytonaLogStream.ReadToEndAsync(socket, Ct);

            Assert.Equal(("out1\nout2\nout3\n", "err1\nerr2\nerr3\n", WebSocketCloseStatus.NormalClosure), (stdout, stderr, closed));

            using var anonymous = new ClientWebSocket();
            var refused = await Assert.ThrowsAsync<WebSocketException>(() => anonymous.ConnectAsync(uri, Ct));
            Assert.Contains("401", refused.Message, StringComparison.Ordinal);
        }
        finally
        {
            await Client.DeleteSandboxAsync(sandbox.Id, cancellationToken: Ct);
        }
    }

    [Fact]
    public async Task Toolbox_UnknownSandboxOrNoKey_AnswersProblems()
    {
        using var http = fixture.Silo.CreateClient();
        using var unknown = await http.GetAsync("/toolbox/nosuchsandbox0000/version", Ct);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("sandbox_not_found", (await unknown.Content.ReadFromJsonAsync<Problem>(Ct))!.Code);

        using var anonymous = fixture.Silo.CreateClient(authenticated: false);
        using var denied = await anonymous.GetAsync("/toolbox/nosuchsandbox0000/version", Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, denied.StatusCode);
    }

    [Fact]
    public async Task SecretPaths_RootDaemonGetsItOnStdin_NonRootOneByUpload_BothServeAcrossARestart()
    {
        // A root daemon keeps the secret it reads from stdin in its file; one running as another user could not, so it
        // gets the file by an upload after the start instead. Both must serve, and again after a stop and start.
        var root = await Client.CreateSandboxAsync(new CreateSandboxRequest { Image = "sandboxgrains/busybox:latest", Cpu = 0.25, MemoryMb = 64 }, Ct);
        var nobody = await Client.CreateSandboxAsync(new CreateSandboxRequest { Image = "sandboxgrains/busybox:latest", Cpu = 0.25, MemoryMb = 64, User = "nobody" }, Ct);
        try
        {
            Assert.Equal("true", await ProcessRunner.DockerAsync("inspect", "-f", "{{.Config.OpenStdin}}", root.ContainerId!));
            Assert.Equal("false", await ProcessRunner.DockerAsync("inspect", "-f", "{{.Config.OpenStdin}}", nobody.ContainerId!));
            foreach (var sandbox in new[] { root, nobody })
            {
                Assert.Equal("stopped", (await Client.StopSandboxAsync(sandbox.Id, Ct)).State);
                Assert.Equal("started", (await Client.StartSandboxAsync(sandbox.Id, Ct)).State);
            }

            Assert.Equal("0", (await Client.ExecuteAsync(root.Id, "id -u", cancellationToken: Ct)).Result.Trim());
            Assert.Equal("65534", (await Client.ExecuteAsync(nobody.Id, "id -u", cancellationToken: Ct)).Result.Trim());
        }
        finally
        {
            await Client.DeleteSandboxAsync(root.Id, cancellationToken: Ct);
            await Client.DeleteSandboxAsync(nobody.Id, cancellationToken: Ct);
        }
    }

    [Fact]
    public async Task DockerStopFromOutside_StateBecomesStopped_AndStartBringsItBack()
    {
        var sandbox = await Client.CreateSandboxAsync(new CreateSandboxRequest { Image = "sandboxgrains/busybox:latest", Cpu = 0.25, MemoryMb = 64 }, Ct);
        try
        {
            await ProcessRunner.DockerAsync("stop", "-t", "1", sandbox.ContainerId!);

            await Eventually.WaitAsync(() => Client.GetSandboxAsync(sandbox.Id, Ct), s => s.State == "stopped", TimeSpan.FromSeconds(3), "state stopped after docker stop");
            Assert.Equal("started", (await Client.StartSandboxAsync(sandbox.Id, Ct)).State);
            Assert.Equal(0, (await Client.ExecuteAsync(sandbox.Id, "true", cancellationToken: Ct)).ExitCode);
        }
        finally
        {
            await Client.DeleteSandboxAsync(sandbox.Id, cancellationToken: Ct);
        }
    }

    [Fact]
    public async Task MountModeDaemonKilledFromTheHost_ContainerDies_StateBecomesStopped()
    {
        var sandbox = await Client.CreateSandboxAsync(new CreateSandboxRequest { Image = "sandboxgrains/busybox:latest", Cpu = 0.25, MemoryMb = 64 }, Ct);
        try
        {
            // The daemon is PID 1 inside; from the host it is an ordinary process we can SIGKILL.
            var pid = await Containers.HostPidAsync(sandbox.ContainerId!);
            await ProcessRunner.RunAsync("kill", ["-9", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)], cancellationToken: Ct);

            await Eventually.WaitAsync(() => Client.GetSandboxAsync(sandbox.Id, Ct), s => s.State == "stopped", TimeSpan.FromSeconds(3), "state stopped after the daemon died");
            Assert.Equal("started", (await Client.StartSandboxAsync(sandbox.Id, Ct)).State);
        }
        finally
        {
            await Client.DeleteSandboxAsync(sandbox.Id, cancellationToken: Ct);
        }
    }

    [Fact]
    public async Task OutOfMemory_CommandKilledSandboxStays_MainProcessKilledSandboxInErrorSayingSo()
    {
        const string Hog = "head -c 400m /dev/zero | tail";
        var survivor = await Client.CreateSandboxAsync(new CreateSandboxRequest { Image = "sandboxgrains/busybox:latest", Cpu = 0.25, MemoryMb = 64 }, Ct);
        var victim = await Client.CreateSandboxAsync(
            new CreateSandboxRequest { Image = "sandboxgrains/busybox:latest", Cpu = 0.25, MemoryMb = 64, Injection = "copy", Cmd = ["sh", "-c", $"sleep 2; {Hog}"] }, Ct);
        try
        {
            // A command that runs out of memory is killed alone; the sandbox and its daemon carry on.
            var hog = await Client.ExecuteAsync(survivor.Id, Hog, cancellationToken: Ct);
            Assert.Equal(137, hog.ExitCode);
            Assert.Equal("started", (await Client.GetSandboxAsync(survivor.Id, Ct)).State);

            // When the container's own main process is the one killed, the sandbox is in error and says why.
            var failed = await Eventually.WaitAsync(() => Client.GetSandboxAsync(victim.Id, Ct), s => s.State != "started", TimeSpan.FromSeconds(15), "the victim leaving started");
            Assert.Equal("error", failed.State);
            Assert.Contains("out of memory", failed.ErrorReason, StringComparison.Ordinal);
        }
        finally
        {
            await Client.DeleteSandboxAsync(survivor.Id, cancellationToken: Ct);
            await Client.DeleteSandboxAsync(victim.Id, cancellationToken: Ct);
        }
    }

    public static TheoryData<string, string, string> BadBodies => new()
    {
        { """{"image":"SandboxGrains/BusyBox"}""", "invalid_request", "image" },
        { """{"image":"sandboxgrains/busybox::1"}""", "invalid_request", "image" },
        { """{"memoryMb":-5}""", "invalid_request", "memoryMb" },
        { """{"cpu":0}""", "invalid_request", "cpu" },
        { """{"injection":"teleport"}""", "invalid_request", "injection" },
        { "", "invalid_request", "JSON body is required" },
        { "{not json", "invalid_request", "not valid JSON" },
        { """{"memoryMb":200000,"image":"sandboxgrains/busybox:latest"}""", "no_capacity", "no runner has room" },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task Create_BadInputOrNoRoom_ClearErrorAndNothingCreated(string body, string code, string detailPart)
    {
        var label = $"bad-{Guid.NewGuid():N}";
        var before = await Containers.WithLabelAsync("sandboxgrains.runner-id", fixture.Silo.RunnerId);
        using var http = fixture.Silo.CreateClient();
        using var content = new StringContent(body.Replace("{\"", $"{{\"labels\":{{\"case\":\"{label}\"}},\"", StringComparison.Ordinal), System.Text.Encoding.UTF8, "application/json");

        using var response = await http.PostAsync("/api/v1/sandboxes", content, Ct);

        var problem = await response.Content.ReadFromJsonAsync<Problem>(Ct);
        Assert.Equal(code == "no_capacity" ? HttpStatusCode.ServiceUnavailable : HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(code, problem!.Code);
        Assert.Contains(detailPart, problem.Detail, StringComparison.Ordinal);
        Assert.Equal(before.Order(), (await Containers.WithLabelAsync("sandboxgrains.runner-id", fixture.Silo.RunnerId)).Order());
        Assert.Empty(await Client.ListSandboxesAsync(new Dictionary<string, string> { ["case"] = label }, Ct));
    }

    [Fact]
    public async Task TwentyParallelCreatesThenDeletes_AllSucceed_NoContainerLeft()
    {
        var batch = $"p{Guid.NewGuid():N}"[..12];
        var request = new CreateSandboxRequest
        {
            Image = "sandboxgrains/busybox:latest",
            Cpu = 0.1,
            MemoryMb = 32,
            Labels = new Dictionary<string, string> { ["batch"] = batch },
        };

        var created = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Client.CreateSandboxAsync(request, Ct)));
        Assert.All(created, s => Assert.Equal("started", s.State));
        Assert.Equal(20, (await Client.ListSandboxesAsync(new Dictionary<string, string> { ["batch"] = batch }, Ct)).Count);
        Assert.Equal(20, (await Containers.WithLabelAsync("sandboxgrains.label.batch", batch)).Length);

        await Task.WhenAll(created.Select(s => Client.DeleteSandboxAsync(s.Id, cancellationToken: Ct)));

        Assert.Empty(await Containers.WithLabelAsync("sandboxgrains.label.batch", batch));
        Assert.Empty(await Client.ListSandboxesAsync(new Dictionary<string, string> { ["batch"] = batch }, Ct));
    }
}
