using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text.Json;

namespace SandboxGrains.EndToEnd.Tests;

/// <summary>
/// A real silo whose policy "minute" lasts one second (<c>Lifecycle:MinuteLength</c>), so a 4-minute auto-stop happens
/// after 4 s through the same reminders, activity reports and stops as in production.
/// </summary>
public sealed class ShortMinuteSiloFixture : IAsyncLifetime
{
    public static readonly Dictionary<string, string> Settings = new()
    {
        ["Runner:CpuOvercommit"] = "32",
        ["Lifecycle:MinuteLength"] = "00:00:01",
    };

    public SiloProcess Silo { get; private set; } = null!;

    public SandboxGrainsHttpClient Client { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        await Requirements.DockerAsync();
        Silo = SiloProcess.Start(Settings);
        await Silo.WaitUntilAsync("/readyz", TimeSpan.FromSeconds(60));
        Client = SandboxGrainsHttpClient.Create(Silo.BaseAddress, Silo.ApiKey);
    }

    public async ValueTask DisposeAsync()
    {
        if (Silo is not null)
        {
            await Silo.DisposeAsync();
        }
    }
}

/// <summary>Idle auto-stop, ephemeral sandboxes, TTL and policy changes against real sandboxes, traffic and WebSockets.</summary>
public sealed class LifecyclePolicyTests(ShortMinuteSiloFixture fixture) : IClassFixture<ShortMinuteSiloFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private SandboxGrainsHttpClient Client => fixture.Client;

    [Fact]
    public async Task IdleStop_PreviewTrafficKeepsASandboxUp_PollingItsRecordDoesNot()
    {
        var busy = await CreateBusyboxAsync(new CreateSandboxRequest { AutoStopMinutes = 4 });
        var polled = await CreateBusyboxAsync(new CreateSandboxRequest { AutoStopMinutes = 4 });
        try
        {
            await Client.ExecuteAsync(busy.Id, "httpd -p 8080 -h /", cancellationToken: Ct);
            var link = await Client.CreatePreviewAsync(busy.Id, 8080, cancellationToken: Ct);
            using var browser = new HttpClient(PreviewApp.LoopbackHandler(fixture.Silo));

            // Eight policy minutes: one sandbox gets a page every quarter second, the other only has its record read.
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (clock.Elapsed < TimeSpan.FromSeconds(8))
            {
                (await browser.GetAsync(link.Url, Ct)).Dispose();
                await Client.GetSandboxAsync(polled.Id, Ct);
                await Task.Delay(250, Ct);
            }

            Assert.Equal("started", (await Client.GetSandboxAsync(busy.Id, Ct)).State);
            var stopped = await Client.GetSandboxAsync(polled.Id, Ct);
            Assert.Equal("stopped", stopped.State);
            Assert.Equal("auto-stopped after 4 min idle", stopped.LastTransition!.Reason);

            // Once its traffic ends, the busy one stops too.
            await Eventually.WaitAsync(() => Client.GetSandboxAsync(busy.Id, Ct), s => s.State == "stopped", TimeSpan.FromSeconds(20), "the sandbox stopping once its traffic ended");
        }
        finally
        {
            await Client.DeleteSandboxAsync(busy.Id, cancellationToken: Ct);
            await Client.DeleteSandboxAsync(polled.Id, cancellationToken: Ct);
        }
    }

    [Fact]
    public async Task OpenWebSocket_KeepsItsSandboxUp_UntilItCloses()
    {
        var sandbox = await PreviewApp.CreateSandboxWithAppAsync(fixture.Silo, Client, Ct);
        try
        {
            // Created with the defaults, then given a short idle limit: the change takes effect at once.
            var patched = await Client.UpdateSandboxAsync(sandbox.Id, new SandboxUpdate { AutoStopMinutes = 4 }, Ct);
            Assert.Equal(4, patched.AutoStopMinutes);
            var link = await Client.CreatePreviewAsync(sandbox.Id, PreviewApp.Port, cancellationToken: Ct);
            using var socket = new ClientWebSocket();
            await socket.ConnectAsync(
                new Uri($"ws://127.0.0.1:{fixture.Silo.HttpPort}/preview/{link.Token}/ws"), new HttpMessageInvoker(PreviewApp.LoopbackHandler(fixture.Silo)), Ct);

            // A tab left open, sending nothing, for twice the idle limit.
            await Task.Delay(TimeSpan.FromSeconds(9), Ct);
            Assert.Equal("started", (await Client.GetSandboxAsync(sandbox.Id, Ct)).State);

            await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "tab closed", Ct);
            await Eventually.WaitAsync(() => Client.GetSandboxAsync(sandbox.Id, Ct), s => s.State == "stopped", TimeSpan.FromSeconds(20), "the sandbox stopping once its WebSocket closed");
        }
        finally
        {
            await Client.DeleteSandboxAsync(sandbox.Id, cancellationToken: Ct);
        }
    }

    [Fact]
    public async Task EphemeralSandbox_IsGoneAsSoonAsItStops()
    {
        var sandbox = await CreateBusyboxAsync(new CreateSandboxRequest { AutoDeleteMinutes = 0 });

        await Client.StopSandboxAsync(sandbox.Id, Ct);

        await Eventually.WaitAsync(() => StatusOfAsync(sandbox.Id), s => s == HttpStatusCode.NotFound, TimeSpan.FromSeconds(15), "the ephemeral sandbox gone");
        await Eventually.WaitAsync(() => Containers.ExistsAsync(sandbox.ContainerId!), exists => !exists, TimeSpan.FromSeconds(10), "its container removed");
    }

    [Fact]
    public async Task Ttl_DeletesTheSandboxWhateverItsTraffic()
    {
        var sandbox = await CreateBusyboxAsync(new CreateSandboxRequest { TtlMinutes = 6 });

        var gone = await Eventually.WaitAsync(
            async () =>
            {
                try
                {
                    await Client.KeepAliveAsync(sandbox.Id, Ct);
                    return false;
                }
                catch (SandboxGrainsException e) when (e.Code == "sandbox_not_found")
                {
                    return true;
                }
            },
            gone => gone,
            TimeSpan.FromSeconds(30),
            "the sandbox deleted at the end of its lifetime although kept alive");
        Assert.True(gone);
        Assert.False(await Containers.ExistsAsync(sandbox.ContainerId!));
    }

    [Fact]
    public async Task BadPolicies_Are400NamingTheField_AndChangeNothing()
    {
        using var http = fixture.Silo.CreateClient();
        foreach (var (body, field) in new (object Body, string Field)[]
                 {
                     (new { image = "sandboxgrains/busybox:latest", autoStopMinutes = -1 }, "autoStopMinutes"),
                     (new { image = "sandboxgrains/busybox:latest", ttlMinutes = 0 }, "ttlMinutes"),
                     (new { image = "sandboxgrains/busybox:latest", autoDeleteMinutes = 99_999_999 }, "autoDeleteMinutes"),
                 })
        {
            await AssertInvalidAsync(await http.PostAsJsonAsync("/api/v1/sandboxes", body, Ct), field);
        }

        var sandbox = await CreateBusyboxAsync(new CreateSandboxRequest { AutoStopMinutes = 30 });
        try
        {
            foreach (var (json, field) in new[]
                     {
                         ("""{"autoStopMinutes": "soon"}""", "autoStopMinutes"),
                         ("""{"autoStopMinutes": null}""", "autoStopMinutes"),
                         ("""{"autoArchiveMinutes": -5}""", "autoArchiveMinutes"),
                         ("""{"ttlMinutes": 0.5}""", "ttlMinutes"),
                         ("""{"autoStopMinute": 5}""", "autoStopMinute"),
                         ("""{"labels": {"bad key!": "x"}}""", "labels"),
                     })
            {
                using var content = new StringContent(json, System.Text.Encoding.UTF8, "application/json");
                await AssertInvalidAsync(await http.PatchAsync($"/api/v1/sandboxes/{sandbox.Id}", content, Ct), field);
            }

            var unchanged = await Client.GetSandboxAsync(sandbox.Id, Ct);
            Assert.Equal((30, (int?)null), (unchanged.AutoStopMinutes, unchanged.TtlMinutes));

            // A policy set to "never" with an explicit null, and labels replaced.
            using var never = new StringContent("""{"ttlMinutes": null, "autoDeleteMinutes": 60, "labels": {"team": "red"}}""", System.Text.Encoding.UTF8, "application/json");
            var changed = (await (await http.PatchAsync($"/api/v1/sandboxes/{sandbox.Id}", never, Ct)).EnsureSuccessStatusCode().Content.ReadFromJsonAsync<Sandbox>(Ct))!;
            Assert.Equal((30, 60, (int?)null, "red"), (changed.AutoStopMinutes, changed.AutoDeleteMinutes, changed.TtlMinutes, changed.Labels["team"]));
        }
        finally
        {
            await Client.DeleteSandboxAsync(sandbox.Id, cancellationToken: Ct);
        }

        using var late = new StringContent("""{"autoStopMinutes": 5}""", System.Text.Encoding.UTF8, "application/json");
        Assert.Equal(HttpStatusCode.NotFound, (await http.PatchAsync($"/api/v1/sandboxes/{sandbox.Id}", late, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.PostAsync($"/api/v1/sandboxes/{sandbox.Id}/keepalive", null, Ct)).StatusCode);
    }

    [Fact]
    public async Task AutoStop_FiresAfterTheEmbeddedSiloWasKilledAndRestarted()
    {
        // The embedded silo's reminders and state were in memory: both come back from the container's labels.
        var (second, again, id) = await KillAndRestartAsync(async client =>
            (await client.CreateSandboxAsync(new CreateSandboxRequest { Image = "sandboxgrains/busybox:latest", Cpu = 0.25, MemoryMb = 64, AutoStopMinutes = 8 }, Ct)).Id);
        await using var _ = second;
        try
        {
            var stopped = await Eventually.WaitAsync(
                async () => (await again.ListSandboxesAsync(cancellationToken: Ct)).FirstOrDefault(s => s.Id == id),
                s => s?.State == "stopped",
                TimeSpan.FromSeconds(40),
                "the rebuilt sandbox auto-stopped");
            Assert.Equal(8, stopped!.AutoStopMinutes);
            Assert.Equal("auto-stopped after 8 min idle", stopped.LastTransition!.Reason);
        }
        finally
        {
            await again.DeleteSandboxAsync(id, cancellationToken: Ct);
        }
    }

    [Fact]
    public async Task AutoArchive_CommitsAndRemovesTheContainer_FreesItsRoom_AndStartRestoresFilesEnvAndPreviewLinks()
    {
        var sandbox = await CreateBusyboxAsync(new CreateSandboxRequest
        {
            AutoStopMinutes = 0,
            AutoArchiveMinutes = 3,
            Env = new Dictionary<string, string> { ["GREETING"] = "kept" },
            Cmd = ["sh", "-c", "mkdir -p /www && exec httpd -f -p 8080 -h /www"],
        });
        try
        {
            var written = await Client.ExecuteAsync(
                sandbox.Id, "sh -c 'echo archived-hello > /www/index.html && head -c 4194304 /dev/urandom > /data.bin && md5sum /data.bin'", cancellationToken: Ct);
            Assert.Equal(0, written.ExitCode);
            var link = await Client.CreatePreviewAsync(sandbox.Id, 8080, cancellationToken: Ct);
            using var browser = new HttpClient(PreviewApp.LoopbackHandler(fixture.Silo));
            Assert.Equal("archived-hello", (await Eventually.WaitAsync(
                async () => { using var page = await browser.GetAsync(link.Url, Ct); return (await page.Content.ReadAsStringAsync(Ct)).Trim(); },
                text => text == "archived-hello", TimeSpan.FromSeconds(20), "the page through the link")));

            // Archiving is for stopped sandboxes only; this one runs.
            using (var http = fixture.Silo.CreateClient())
            {
                Assert.Equal(HttpStatusCode.Conflict, (await http.PostAsync($"/api/v1/sandboxes/{sandbox.Id}/archive", null, Ct)).StatusCode);
            }

            var allocated = await AllocatedAsync();
            await Client.StopSandboxAsync(sandbox.Id, Ct);
            var archived = await Eventually.WaitAsync(
                () => Client.GetSandboxAsync(sandbox.Id, Ct), s => s.State == "archived", TimeSpan.FromSeconds(60), "the stopped sandbox archived");
            Assert.Equal("auto-archived after 3 min stopped", archived.LastTransition!.Reason);
            Assert.Null(archived.ContainerId);
            Assert.NotEqual(0, (await ProcessRunner.RunAsync("docker", ["inspect", sandbox.ContainerId!], cancellationToken: Ct)).ExitCode);
            Assert.Equal(0, (await ProcessRunner.RunAsync("docker", ["image", "inspect", $"sandboxgrains/archive:{sandbox.Id}"], cancellationToken: Ct)).ExitCode);
            Assert.Equal(allocated - 1, await AllocatedAsync());

            var restored = await Client.StartSandboxAsync(sandbox.Id, Ct);
            Assert.Equal("started", restored.State);
            Assert.NotEqual(sandbox.ContainerId, restored.ContainerId);
            Assert.Equal(allocated, await AllocatedAsync());
            var again = await Client.ExecuteAsync(sandbox.Id, "sh -c 'md5sum /data.bin && echo $GREETING'", cancellationToken: Ct);
            Assert.Equal(written.Result.Trim() + "\nkept", again.Result.Trim());
            Assert.Equal("archived-hello", (await Eventually.WaitAsync(
                async () => { using var page = await browser.GetAsync(link.Url, Ct); return (await page.Content.ReadAsStringAsync(Ct)).Trim(); },
                text => text == "archived-hello", TimeSpan.FromSeconds(20), "the same link to the restored sandbox")));
        }
        finally
        {
            await Client.DeleteSandboxAsync(sandbox.Id, cancellationToken: Ct);
        }

        // The archive image goes with the sandbox.
        Assert.NotEqual(0, (await ProcessRunner.RunAsync("docker", ["image", "inspect", $"sandboxgrains/archive:{sandbox.Id}"], cancellationToken: Ct)).ExitCode);
    }

    private async Task<int> AllocatedAsync() =>
        (await Client.ListRunnersAsync(Ct)).Single(r => r.Id == fixture.Silo.RunnerId).SandboxCount;

    [Fact]
    public async Task ArchivedSandbox_IsFoundAgainAfterTheEmbeddedSiloWasKilled_AndRestoresWithItsFiles()
    {
        // The embedded silo's state was in memory: the sandbox comes back from its archive image alone.
        var (second, again, id) = await KillAndRestartAsync(async client =>
        {
            var id = (await client.CreateSandboxAsync(
                new CreateSandboxRequest
                {
                    Image = "sandboxgrains/busybox:latest", Cpu = 0.25, MemoryMb = 64, AutoStopMinutes = 0,
                    Labels = new Dictionary<string, string> { ["keep"] = "yes" },
                },
                Ct)).Id;
            Assert.Equal(0, (await client.ExecuteAsync(id, "sh -c 'echo kept > /kept.txt'", cancellationToken: Ct)).ExitCode);
            await client.StopSandboxAsync(id, Ct);
            Assert.Equal("archived", (await client.ArchiveSandboxAsync(id, Ct)).State);
            return id;
        });
        await using var _ = second;
        try
        {
            var found = await Eventually.WaitAsync(
                async () => (await again.ListSandboxesAsync(cancellationToken: Ct)).FirstOrDefault(s => s.Id == id),
                s => s?.State == "archived",
                TimeSpan.FromSeconds(40),
                "the archived sandbox found again");
            Assert.Equal(("yes", "sandboxgrains/busybox:latest"), (found!.Labels["keep"], found.Image));

            Assert.Equal("started", (await again.StartSandboxAsync(id, Ct)).State);
            Assert.Equal("kept", (await again.ExecuteAsync(id, "cat /kept.txt", cancellationToken: Ct)).Result.Trim());
        }
        finally
        {
            await again.DeleteSandboxAsync(id, cancellationToken: Ct);
        }

        Assert.NotEqual(0, (await ProcessRunner.RunAsync("docker", ["image", "inspect", $"sandboxgrains/archive:{id}"], cancellationToken: Ct)).ExitCode);
    }

    /// <summary>
    /// On an embedded silo of its own runner, does <paramref name="before"/> (which names the sandbox it made), kills the
    /// silo with SIGKILL leaving its containers, and starts another with the same settings.
    /// </summary>
    private static async Task<(SiloProcess Second, SandboxGrainsHttpClient Client, string SandboxId)> KillAndRestartAsync(
        Func<SandboxGrainsHttpClient, Task<string>> before)
    {
        var settings = new Dictionary<string, string>(ShortMinuteSiloFixture.Settings) { ["Runner:Id"] = $"restart-{Guid.NewGuid():N}"[..20] };
        string id;
        var first = SiloProcess.Start(settings);
        first.KeepContainers = true;
        await using (first)
        {
            await first.WaitUntilAsync("/readyz", TimeSpan.FromSeconds(60), Ct);
            id = await before(SandboxGrainsHttpClient.Create(first.BaseAddress, first.ApiKey));
            await first.KillAsync();
        }

        var second = SiloProcess.Start(settings);
        try
        {
            await second.WaitUntilAsync("/readyz", TimeSpan.FromSeconds(60), Ct);
        }
        catch
        {
            await second.DisposeAsync();
            throw;
        }

        return (second, SandboxGrainsHttpClient.Create(second.BaseAddress, second.ApiKey), id);
    }

    private async Task<Sandbox> CreateBusyboxAsync(CreateSandboxRequest policies) =>
        await Client.CreateSandboxAsync(policies with { Image = "sandboxgrains/busybox:latest", Cpu = 0.25, MemoryMb = 64 }, Ct);

    private async Task<HttpStatusCode> StatusOfAsync(string id)
    {
        using var http = fixture.Silo.CreateClient();
        using var answer = await http.GetAsync($"/api/v1/sandboxes/{id}", Ct);
        return answer.StatusCode;
    }

    private static async Task AssertInvalidAsync(HttpResponseMessage answer, string field)
    {
        using (answer)
        {
            Assert.Equal(HttpStatusCode.BadRequest, answer.StatusCode);
            var problem = await answer.Content.ReadFromJsonAsync<JsonElement>(Ct);
            Assert.Equal("invalid_request", problem.GetProperty("code").GetString());
            var detail = problem.GetProperty("detail").GetString()!;
            Assert.True(detail.StartsWith(field, StringComparison.Ordinal) || detail.Contains("not valid JSON", StringComparison.Ordinal), $"{field}: {detail}");
        }
    }
}
