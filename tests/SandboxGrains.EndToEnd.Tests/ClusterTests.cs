using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.WebSockets;
using SandboxGrains.Previews;

namespace SandboxGrains.EndToEnd.Tests;

/// <summary>
/// Cluster mode: three real silo processes on loopback joined through a real Redis (clustering and storage). A and B
/// each own a runner on this machine's Docker engine; C serves the API, toolbox and previews only.
/// </summary>
public sealed class ClusterTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task SandboxCreatedThroughA_IsListedExecutedInAndPreviewedThroughBAndC_AndARevocationReachesThemAll()
    {
        await using var cluster = await Cluster.StartAsync();

        // Subscribers on two other silos, one by Server-Sent Events and one by WebSocket, watch its whole life.
        var label = $"watched-{Guid.NewGuid():N}";
        using var http = cluster.C.CreateClient();
        using var sse = await ServerSentEvents.OpenAsync(http, $"/api/v1/events?label=case={label}", await ServerSentEvents.CurrentIdAsync(http));
        using var httpB = cluster.B.CreateClient();
        using var socket = await EventSocket.OpenAsync(cluster.B, $"/api/v1/events?label=case={label}&lastEventId={await ServerSentEvents.CurrentIdAsync(httpB)}");
        var sandbox = await Cluster.Client(cluster.A).CreateSandboxAsync(Busybox with { Labels = new Dictionary<string, string> { ["case"] = label } }, Ct);
        Assert.Equal("started", sandbox.State);
        Assert.Contains(sandbox.RunnerId, new[] { cluster.A.RunnerId, cluster.B.RunnerId });

        var preview = await Cluster.StartAppAsync(cluster.A, sandbox.Id);
        foreach (var silo in new[] { cluster.B, cluster.C })
        {
            var client = Cluster.Client(silo);
            Assert.Contains(await client.ListSandboxesAsync(cancellationToken: Ct), s => s.Id == sandbox.Id);
            Assert.Equal($"through {silo.HttpPort}", (await client.ExecuteAsync(sandbox.Id, $"echo through {silo.HttpPort}", cancellationToken: Ct)).Result.Trim());
            Assert.Equal("hello", await cluster.GetPreviewAsync(silo, preview.Token!));
        }

        // Revoked through A: B and C refuse it as soon as the revocation returns (it returns after every silo dropped it).
        await Cluster.Client(cluster.A).RevokePreviewAsync(preview.Token!, Ct);
        foreach (var silo in new[] { cluster.B, cluster.C })
        {
            using var refused = await cluster.Http.GetAsync(Cluster.PreviewUrl(silo, preview.Token!), Ct);
            Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);
        }

        await Cluster.Client(cluster.A).DeleteSandboxAsync(sandbox.Id, cancellationToken: Ct);
        string[] life = ["creating", "started", "destroying", "destroyed"];
        var bySse = await sse.ReadUntilAsync(e => e.Type == "sandbox.deleted", TimeSpan.FromSeconds(20));
        var bySocket = await socket.ReadUntilAsync(e => e.Type == "sandbox.deleted", TimeSpan.FromSeconds(20));
        Assert.Equal(life, bySse.Where(e => e.Type.StartsWith("sandbox.", StringComparison.Ordinal)).Select(e => e.Data.GetProperty("to").GetString()));
        Assert.Equal(life, bySocket.Where(e => e.Type.StartsWith("sandbox.", StringComparison.Ordinal)).Select(e => e.Data.GetProperty("to").GetString()));

        // The link made through A and revoked through A was announced on B and C too, without its token.
        foreach (var seen in new[] { bySse, bySocket })
        {
            var previews = seen.Where(e => e.Type.StartsWith("preview.", StringComparison.Ordinal)).ToList();
            Assert.Equal(["preview.created", "preview.revoked"], previews.Select(e => e.Type).Distinct());
            Assert.All(previews, e => Assert.DoesNotContain(preview.Token!, e.Data.GetRawText(), StringComparison.Ordinal));
        }
        Assert.All(bySse.Concat(bySocket), e => Assert.Equal(sandbox.Id, e.Data.GetProperty("sandboxId").GetString()));
    }

    [Fact]
    public async Task SiloHostingTheSandboxGrainIsKilled_PreviewAndToolboxWorkThroughTheOthers_NothingIsLost()
    {
        await using var cluster = await Cluster.StartAsync();

        // The grain must live on a silo other than its runner's: killing the runner's silo is another test's story.
        Sandbox sandbox = null!;
        SiloProcess host = null!;
        for (var attempt = 0; attempt < 8; attempt++)
        {
            sandbox = await Cluster.Client(cluster.C).CreateSandboxAsync(Busybox, Ct);
            host = await cluster.GrainHostAsync(sandbox.Id);
            if (host.RunnerId != sandbox.RunnerId)
            {
                break;
            }
        }

        Assert.NotEqual(sandbox.RunnerId, host.RunnerId);
        var preview = await Cluster.StartAppAsync(cluster.C, sandbox.Id);
        var survivors = cluster.All.Where(s => s != host).ToList();
        foreach (var silo in survivors)
        {
            Assert.Equal("hello", await cluster.GetPreviewAsync(silo, preview.Token!));
        }

        var clock = Stopwatch.StartNew();
        await host.KillAsync();

        // Every survivor serves the link and the toolbox again; the sandbox's state comes back from Redis intact.
        foreach (var silo in survivors)
        {
            await Eventually.WaitAsync(() => cluster.TryPreviewAsync(silo, preview.Token!), ok => ok, TimeSpan.FromSeconds(20), $"the preview through {silo.HttpPort}");
            await Eventually.WaitAsync(
                async () => await Cluster.TryAsync(() => Cluster.Client(silo).ExecuteAsync(sandbox.Id, "echo alive", cancellationToken: Ct)),
                result => result?.Result.Trim() == "alive",
                TimeSpan.FromSeconds(20),
                $"the toolbox through {silo.HttpPort}");
        }

        var recovered = clock.Elapsed;

        // The API answers a retryable 503 while the cluster re-forms, then the grain is back from Redis on a survivor.
        var again = (await Eventually.WaitAsync(
            () => Cluster.TryAsync(() => Cluster.Client(survivors[0]).GetSandboxAsync(sandbox.Id, Ct)),
            found => found is not null,
            TimeSpan.FromSeconds(30),
            "the sandbox readable again through a survivor"))!;
        var reactivated = clock.Elapsed;
        Assert.Equal("started", again.State);
        Assert.Equal(sandbox.RunnerId, again.RunnerId);
        Assert.Equal(sandbox.ContainerId, again.ContainerId);
        Assert.Single(await Cluster.Client(survivors[0]).ListPreviewsAsync(sandbox.Id, Ct), p => p.Port == 8080);
        Assert.Equal("true", await ProcessRunner.DockerAsync("inspect", "--format", "{{.State.Running}}", sandbox.ContainerId!));
        Assert.NotEqual(host, await cluster.GrainHostAsync(sandbox.Id));
        TestContext.Current.SendDiagnosticMessage(
            $"SIGKILL of the grain's silo → preview and toolbox through every survivor: {recovered.TotalMilliseconds:0} ms; grain back from Redis: {reactivated.TotalMilliseconds:0} ms");
    }

    [Fact]
    public async Task SiloHoldingASandboxWithAnIdleLimitIsKilled_TheReminderInRedisStillStopsItOnASurvivor()
    {
        // A policy minute of one second: the 15-minute limit falls due 15 s after the create.
        await using var cluster = await Cluster.StartAsync(settings: new Dictionary<string, string> { ["Lifecycle:MinuteLength"] = "00:00:01" });
        Sandbox sandbox = null!;
        SiloProcess host = null!;
        for (var attempt = 0; attempt < 8; attempt++)
        {
            sandbox = await Cluster.Client(cluster.C).CreateSandboxAsync(Busybox with { AutoStopMinutes = 15 }, Ct);
            host = await cluster.GrainHostAsync(sandbox.Id);
            if (host.RunnerId != sandbox.RunnerId)
            {
                break;
            }
        }

        Assert.NotEqual(sandbox.RunnerId, host.RunnerId);
        await host.KillAsync();
        var survivor = cluster.All.First(s => s != host);

        var stopped = (await Eventually.WaitAsync(
            () => Cluster.TryAsync(() => Cluster.Client(survivor).GetSandboxAsync(sandbox.Id, Ct)),
            found => found?.State == "stopped",
            TimeSpan.FromSeconds(60),
            "the sandbox auto-stopped after the silo holding it died"))!;
        Assert.Equal("auto-stopped after 15 min idle", stopped.LastTransition!.Reason);
        Assert.Equal("false", await ProcessRunner.DockerAsync("inspect", "--format", "{{.State.Running}}", sandbox.ContainerId!));
    }

    [Fact]
    public async Task RunnerSiloKilledAndRestarted_ItsSandboxesComeBackStartedWithWorkingPreviews_NoDuplicatesNoOrphans()
    {
        await using var cluster = await Cluster.StartAsync();
        var sandbox = await Cluster.Client(cluster.C).CreateSandboxAsync(Busybox, Ct);
        var preview = await Cluster.StartAppAsync(cluster.C, sandbox.Id);
        var owner = cluster.All.Single(s => s.RunnerId == sandbox.RunnerId);

        // The machine's silo dies; its containers live on (SIGKILL stops the process, not Docker).
        owner.KeepContainers = true;
        await owner.KillAsync();
        Assert.Equal("true", await ProcessRunner.DockerAsync("inspect", "--format", "{{.State.Running}}", sandbox.ContainerId!));

        // While it is away the sandbox is still there, started, on a runner the API calls unreachable; so is the runner.
        var away = await Eventually.WaitAsync(
            () => Cluster.TryAsync(() => Cluster.Client(cluster.C).GetSandboxAsync(sandbox.Id, Ct)),
            found => found?.RunnerStatus == "unreachable",
            TimeSpan.FromSeconds(20),
            "the sandbox's runner reported unreachable");
        Assert.Equal("started", away!.State);
        Assert.Equal(sandbox.ContainerId, away.ContainerId);
        Assert.Contains(await Cluster.Client(cluster.C).ListSandboxesAsync(cancellationToken: Ct), s => s.Id == sandbox.Id && s.RunnerStatus == "unreachable");
        Assert.Contains(await Cluster.Client(cluster.C).ListRunnersAsync(Ct), r => r.Id == owner.RunnerId && r.Status == "unreachable");

        var restarted = await cluster.RestartAsync(owner);
        foreach (var silo in new[] { restarted, cluster.C })
        {
            await Eventually.WaitAsync(
                () => Cluster.TryAsync(() => Cluster.Client(silo).GetSandboxAsync(sandbox.Id, Ct)),
                found => found is { State: "started", RunnerStatus: "healthy" },
                TimeSpan.FromSeconds(30),
                $"the sandbox started again on a healthy runner as seen from {silo.HttpPort}");
            await Eventually.WaitAsync(() => cluster.TryPreviewAsync(silo, preview.Token!), ok => ok, TimeSpan.FromSeconds(30), $"the preview through {silo.HttpPort}");
        }

        // One sandbox, one container, the same one: nothing was created twice and nothing was left behind.
        var listed = (await Cluster.Client(cluster.C).ListSandboxesAsync(cancellationToken: Ct)).Where(s => s.Id == sandbox.Id).ToList();
        Assert.Single(listed);
        Assert.Equal(sandbox.ContainerId, listed[0].ContainerId);
        var labelled = (await ProcessRunner.DockerAsync("ps", "-aq", "--no-trunc", "--filter", $"label=sandboxgrains.runner-id={sandbox.RunnerId}"))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal([sandbox.ContainerId!], labelled);
        Assert.Equal($"after restart", (await Cluster.Client(cluster.C).ExecuteAsync(sandbox.Id, "echo after restart", cancellationToken: Ct)).Result.Trim());
    }

    [Fact]
    public async Task RunnerSiloStoppedWithSigterm_FinishesItsRequestsInFlight_LeavesTheClusterAtOnce_ItsSandboxKeepsRunning()
    {
        // Requests get 6 s to finish: enough for the 4 s download, not for a WebSocket nobody closes.
        await using var cluster = await Cluster.StartAsync(settings: new Dictionary<string, string> { ["Silo:DrainTimeout"] = "00:00:06" });
        var sandbox = await Cluster.Client(cluster.C).CreateSandboxAsync(new() { Image = "sandboxgrains/base:latest", Cpu = 0.5, MemoryMb = 256 }, Ct);
        await PreviewApp.StartAsync(cluster.C, Cluster.Client(cluster.C), sandbox.Id, Ct);
        var token = (await Cluster.Client(cluster.C).CreatePreviewAsync(sandbox.Id, PreviewApp.Port, cancellationToken: Ct)).Token!;
        var owner = cluster.All.Single(s => s.RunnerId == sandbox.RunnerId);
        var others = cluster.All.Where(s => s != owner).ToList();
        await Eventually.WaitAsync(() => cluster.TryGetAsync(owner, token, "slow?seconds=0"), body => body == "", TimeSpan.FromSeconds(30), "the app through the runner's silo");

        // A WebSocket held open, as a noVNC tab would, and a download in flight, through the silo that is about to stop:
        // the download's headers are here, four lines are still to come.
        using var socket = new ClientWebSocket();
        await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{owner.HttpPort}/preview/{token}/ws"), Ct);
        await socket.SendAsync("before"u8.ToArray(), WebSocketMessageType.Text, true, Ct);
        var echoed = new byte[64];
        Assert.Equal(6, (await socket.ReceiveAsync(echoed, Ct)).Count);
        using var slow = await cluster.Http.GetAsync($"{Cluster.PreviewUrl(owner, token)}slow?seconds=4", HttpCompletionOption.ResponseHeadersRead, Ct);
        Assert.Equal(HttpStatusCode.OK, slow.StatusCode);
        var body = slow.Content.ReadAsStringAsync(Ct);
        var clock = Stopwatch.StartNew();
        var stopping = owner.TerminateAsync(TimeSpan.FromSeconds(60));

        // While it drains it takes no new connection, and the download still finishes whole.
        await Task.Delay(TimeSpan.FromMilliseconds(500), Ct);
        using (var fresh = new HttpClient { Timeout = TimeSpan.FromSeconds(5) })
        {
            await Assert.ThrowsAsync<HttpRequestException>(() => fresh.GetAsync(new Uri(owner.BaseAddress, "/healthz"), Ct));
        }

        Assert.Equal("tick 0\ntick 1\ntick 2\ntick 3\n", await body);

        // The WebSocket is cut when the drain time is up, and the silo still leaves gracefully (exit code 0) after it.
        await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            var last = await socket.ReceiveAsync(echoed, Ct);
            Assert.NotEqual(WebSocketMessageType.Close, last.MessageType); // a close frame would also end it; any way is an end
        });
        Assert.Equal(0, await stopping);
        var exited = clock.Elapsed;
        Assert.InRange(exited, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(25));
        Assert.Contains("Requests drained; leaving the cluster", owner.Output, StringComparison.Ordinal);

        // It said goodbye, so nobody waits for the failure detector: the others report its runner unreachable and serve
        // the sandbox's record, link and toolbox right away; its container was left running.
        foreach (var silo in others)
        {
            var seen = await Eventually.WaitAsync(
                () => Cluster.TryAsync(() => Cluster.Client(silo).GetSandboxAsync(sandbox.Id, Ct)),
                found => found?.RunnerStatus == "unreachable",
                TimeSpan.FromSeconds(2),
                $"the sandbox with an unreachable runner through {silo.HttpPort}");
            Assert.Equal("started", seen!.State);
            Assert.Equal("", await cluster.TryGetAsync(silo, token, "slow?seconds=0"));
            Assert.Equal("alive", (await Cluster.Client(silo).ExecuteAsync(sandbox.Id, "echo alive", cancellationToken: Ct)).Result.Trim());
        }

        var served = clock.Elapsed;
        Assert.Equal("true", await ProcessRunner.DockerAsync("inspect", "--format", "{{.State.Running}}", sandbox.ContainerId!));
        TestContext.Current.SendDiagnosticMessage(
            $"SIGTERM → exit after the drain: {exited.TotalMilliseconds:0} ms; → the others serve everything: {served.TotalMilliseconds:0} ms");
    }

    [Fact]
    public async Task GrainClientOnRedisClustering_OutlivesTheSilosItWasTalkingTo()
    {
        await using var cluster = await Cluster.StartAsync();
        using var sandboxes = new SandboxGrainsGrainClient(cluster.Grains);
        var sandbox = await sandboxes.CreateSandboxAsync(Busybox, Ct);
        Assert.Equal("started", sandbox.State);

        // Talk to every silo's gateway for a while (the client spreads calls over all of them), then kill every silo but
        // the one whose runner holds the sandbox: two of the client's three gateways die under it.
        for (var i = 0; i < 20; i++)
        {
            Assert.Equal(sandbox.Id, (await sandboxes.GetSandboxAsync(sandbox.Id, Ct)).Id);
        }

        var survivor = cluster.All.Single(s => s.RunnerId == sandbox.RunnerId);
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(cluster.All.Where(s => s != survivor).Select(s => s.KillAsync()));

        // The same client object, never rebuilt: while the cluster re-forms it answers a retryable 503, then it works.
        var churn = new List<string>();
        async Task<T?> RetryableAsync<T>(Func<Task<T>> call)
            where T : class
        {
            try
            {
                return await call();
            }
            catch (SandboxGrainsException e)
            {
                churn.Add($"{e.Status} {e.Code}: {e.Message}");
                return null;
            }
        }

        var again = await Eventually.WaitAsync(
            () => RetryableAsync(() => sandboxes.GetSandboxAsync(sandbox.Id, Ct)),
            found => found is not null,
            TimeSpan.FromSeconds(30),
            "the sandbox through the grain client after two silos died");
        var readable = clock.Elapsed;
        Assert.Equal("started", again!.State);
        Assert.Equal("alive", (await sandboxes.ExecuteAsync(sandbox.Id, "echo alive", cancellationToken: Ct)).Result.Trim());

        // A new grain needs the dead silos out of the grain directory: the survivor evicts them on its own once they
        // have missed their "I am alive" writes (6 s), since it cannot gather two votes alone.
        var another = await Eventually.WaitAsync(
            () => RetryableAsync(() => sandboxes.CreateSandboxAsync(Busybox, Ct)),
            created => created is not null,
            TimeSpan.FromSeconds(30),
            "a new sandbox through the grain client after two silos died");
        var settled = clock.Elapsed;
        Assert.Equal(survivor.RunnerId, another!.RunnerId);
        Assert.Contains(await sandboxes.ListSandboxesAsync(cancellationToken: Ct), s => s.Id == another.Id);
        // Retryable answers only: mostly cluster_unavailable, at times no_capacity while the runner's grain comes back.
        Assert.All(churn, seen => Assert.StartsWith("503 ", seen, StringComparison.Ordinal));
        TestContext.Current.SendDiagnosticMessage(
            $"two of three silos SIGKILLed → grain client reads the sandbox after {readable.TotalMilliseconds:0} ms, creates one after " +
            $"{settled.TotalMilliseconds:0} ms ({churn.Count} retryable 503s meanwhile)");
    }

    [Fact]
    public async Task RedisRestarted_TheClusterRecoversWithoutHelp_StateAndLinksSurvive()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var cluster = await Cluster.StartAsync(redis.Endpoint);
        var sandbox = await Cluster.Client(cluster.C).CreateSandboxAsync(Busybox, Ct);
        var preview = await Cluster.StartAppAsync(cluster.C, sandbox.Id);

        await redis.StopAsync();
        await Task.Delay(TimeSpan.FromSeconds(2), Ct); // the silos notice: membership and storage calls fail meanwhile
        await redis.StartAgainAsync();

        // Nobody restarts a silo: every silo serves the old sandbox and its link, and a new sandbox can be made.
        foreach (var silo in cluster.All)
        {
            await Eventually.WaitAsync(
                () => Cluster.TryAsync(() => Cluster.Client(silo).GetSandboxAsync(sandbox.Id, Ct)),
                found => found?.State == "started",
                TimeSpan.FromSeconds(30),
                $"the sandbox through {silo.HttpPort} after Redis came back");
            await Eventually.WaitAsync(() => cluster.TryPreviewAsync(silo, preview.Token!), ok => ok, TimeSpan.FromSeconds(30), $"the preview through {silo.HttpPort}");
        }

        var after = await Eventually.WaitAsync(
            () => Cluster.TryAsync(() => Cluster.Client(cluster.A).CreateSandboxAsync(Busybox, Ct)),
            created => created is not null,
            TimeSpan.FromSeconds(30),
            "a new sandbox after Redis came back");
        Assert.Equal("started", after!.State);
        var listed = await Cluster.Client(cluster.B).ListSandboxesAsync(cancellationToken: Ct);
        Assert.Contains(listed, s => s.Id == sandbox.Id);
        Assert.Contains(listed, s => s.Id == after.Id);
        Assert.All(cluster.All, silo => Assert.False(silo.HasExited, $"the silo on {silo.HttpPort} exited:\n{silo.Output}"));
    }

    [Fact]
    public async Task ArchivedSandboxWhoseRunnerSiloIsGone_IsRestoredOnTheOtherRunnerFromTheSnapshotRegistry()
    {
        await using var registry = await RegistryServer.StartAsync("archiver", $"pw-{Guid.NewGuid():N}");
        await using var cluster = await Cluster.StartAsync(settings: new Dictionary<string, string>
        {
            ["Snapshots:Registry"] = registry.Host,
            [$"Registries:{registry.Host}:Username"] = registry.Username!,
            [$"Registries:{registry.Host}:Password"] = registry.Password!,
        });
        var client = Cluster.Client(cluster.C);
        var sandbox = await client.CreateSandboxAsync(Busybox, Ct);
        var localArchive = $"sandboxgrains/archive:{sandbox.Id}";
        try
        {
            Assert.Equal(0, (await client.ExecuteAsync(sandbox.Id, "sh -c 'echo survived > /kept'", cancellationToken: Ct)).ExitCode);
            await client.StopSandboxAsync(sandbox.Id, Ct);
            Assert.Equal("archived", (await client.ArchiveSandboxAsync(sandbox.Id, Ct)).State);

            // The runner that holds the archive goes away for good.
            var owner = cluster.All.Single(s => s.RunnerId == sandbox.RunnerId);
            await owner.KillAsync();
            await Eventually.WaitAsync(
                () => Cluster.TryAsync(() => client.ListRunnersAsync(Ct)),
                runners => runners?.Any(r => r.Id == owner.RunnerId && r.Status == "unreachable") == true,
                TimeSpan.FromSeconds(30),
                "the archive's runner reported unreachable");

            var restored = await Eventually.WaitAsync(
                () => Cluster.TryAsync(() => client.StartSandboxAsync(sandbox.Id, Ct)),
                started => started?.State == "started",
                TimeSpan.FromSeconds(60),
                "the archived sandbox restored on the other runner");
            Assert.NotEqual(owner.RunnerId, restored!.RunnerId);
            Assert.Equal("survived", (await client.ExecuteAsync(sandbox.Id, "cat /kept", cancellationToken: Ct)).Result.Trim());
        }
        finally
        {
            await Cluster.TryAsync(async () => { await client.DeleteSandboxAsync(sandbox.Id, cancellationToken: Ct); return ""; });
            await ProcessRunner.RunAsync("docker", ["rmi", localArchive], cancellationToken: Ct);
        }

        // Its copy in the registry went with it.
        using var registryHttp = new HttpClient { BaseAddress = new Uri($"http://{registry.Host}") };
        registryHttp.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue(
            "Basic", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{registry.Username}:{registry.Password}")));
        using var manifest = await registryHttp.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/v2/sandboxgrains/archive/manifests/{sandbox.Id}"), Ct);
        Assert.Equal(HttpStatusCode.NotFound, manifest.StatusCode);
    }

    private static CreateSandboxRequest Busybox => new() { Image = "sandboxgrains/busybox:latest", Cpu = 0.25, MemoryMb = 64 };

    /// <summary>Three silos in one cluster of their own (cluster and service ids unique to the test), and an Orleans client.</summary>
    private sealed class Cluster : IAsyncDisposable
    {
        private readonly SiloCluster _silos;

        private Cluster(SiloCluster silos) => _silos = silos;

        public SiloProcess A { get; private set; } = null!;

        public SiloProcess B { get; private set; } = null!;

        public SiloProcess C { get; private set; } = null!;

        public IReadOnlyList<SiloProcess> All => [A, B, C];

        public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(10) };

        /// <summary>An Orleans client of this cluster, connected through Redis clustering as a backend beside it would be.</summary>
        public IClusterClient Grains => _silos.Grains;

        /// <summary>Starts the three silos on <paramref name="redis"/>, by default the Redis the test script runs.</summary>
        public static async Task<Cluster> StartAsync(string? redis = null, IReadOnlyDictionary<string, string>? settings = null)
        {
            if (redis is null)
            {
                await Requirements.RedisAsync();
            }

            await Requirements.DockerAsync();
            var cluster = new Cluster(new SiloCluster(redis ?? Requirements.RedisEndpoint, settings));
            cluster.A = cluster._silos.StartSilo(runner: true);
            cluster.B = cluster._silos.StartSilo(runner: true);
            cluster.C = cluster._silos.StartSilo(runner: false);
            await Task.WhenAll(cluster.All.Select(s => s.WaitUntilAsync("/readyz", TimeSpan.FromSeconds(90), Ct)));
            await cluster._silos.ConnectAsync(Ct);
            await cluster.WaitForRunnersAsync();
            return cluster;
        }

        /// <summary>
        /// Starts <paramref name="dead"/>'s runner again in a new silo process (same runner id, new ports), as an operator
        /// restarting a crashed machine's silo would; returns it once it serves and both runners are healthy again.
        /// </summary>
        public async Task<SiloProcess> RestartAsync(SiloProcess dead)
        {
            var again = _silos.StartSilo(runner: true, dead.RunnerId);
            if (dead == A)
            {
                A = again;
            }
            else if (dead == B)
            {
                B = again;
            }
            else
            {
                throw new ArgumentException("only runner silos are restarted here", nameof(dead));
            }

            await again.WaitUntilAsync("/readyz", TimeSpan.FromSeconds(90), Ct);
            await WaitForRunnersAsync();
            return again;
        }

        public Task<SiloProcess> GrainHostAsync(string sandboxId) => _silos.GrainHostAsync(sandboxId);

        /// <summary>Both runners are placeable from every silo before a test goes on.</summary>
        private async Task WaitForRunnersAsync()
        {
            foreach (var silo in All)
            {
                await Eventually.WaitAsync(
                    () => Client(silo).ListRunnersAsync(Ct),
                    runners => new[] { A.RunnerId, B.RunnerId }.All(id => runners.Any(r => r.Id == id && r.Status == "healthy")),
                    TimeSpan.FromSeconds(30),
                    $"both runners healthy as seen from {silo.HttpPort}");
            }
        }

        public static SandboxGrainsHttpClient Client(SiloProcess silo) => SandboxGrainsHttpClient.Create(silo.BaseAddress, silo.ApiKey);

        public static string PreviewUrl(SiloProcess silo, string token) => $"{silo.BaseAddress}preview/{token}/";

        /// <summary>busybox httpd on port 8080 in the sandbox, and a link to it made through <paramref name="via"/>.</summary>
        public static async Task<Preview> StartAppAsync(SiloProcess via, string sandboxId)
        {
            var started = await Client(via).ExecuteAsync(sandboxId, "mkdir -p /www && echo hello > /www/index.html && httpd -p 8080 -h /www", cancellationToken: Ct);
            Assert.Equal(0, started.ExitCode);
            return await Client(via).CreatePreviewAsync(sandboxId, 8080, cancellationToken: Ct);
        }

        public async Task<string> GetPreviewAsync(SiloProcess silo, string token) => (await Http.GetStringAsync(PreviewUrl(silo, token), Ct)).Trim();

        /// <summary>The body of <paramref name="path"/> through <paramref name="silo"/>'s preview link, or null if it failed.</summary>
        public Task<string?> TryGetAsync(SiloProcess silo, string token, string path) =>
            TryAsync(() => Http.GetStringAsync($"{PreviewUrl(silo, token)}{path}", Ct));

        public async Task<bool> TryPreviewAsync(SiloProcess silo, string token) =>
            await TryAsync(async () => await GetPreviewAsync(silo, token)) == "hello";

        public static Task<T?> TryAsync<T>(Func<Task<T>> call)
            where T : class => Eventually.TryAsync(call);

        public async ValueTask DisposeAsync()
        {
            Http.Dispose();
            await _silos.DisposeAsync();
        }
    }
}
