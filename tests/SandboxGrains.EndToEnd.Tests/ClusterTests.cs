using System.Diagnostics;
using System.Globalization;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;
using Orleans.Runtime;
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
        var sandbox = await Cluster.Client(cluster.A).CreateSandboxAsync(Busybox, Ct);
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

    private static CreateSandboxRequest Busybox => new() { Image = "sandboxgrains/busybox:latest", Cpu = 0.25, MemoryMb = 64 };

    /// <summary>Three silos in one cluster of their own (cluster and service ids unique to the test), and an Orleans client.</summary>
    private sealed class Cluster : IAsyncDisposable
    {
        private readonly Dictionary<int, SiloProcess> _bySiloPort = [];
        private readonly string _clusterId;
        private readonly string _redis;
        private IHost _client = null!;

        private Cluster(string clusterId, string redis) => (_clusterId, _redis) = (clusterId, redis);

        public SiloProcess A { get; private set; } = null!;

        public SiloProcess B { get; private set; } = null!;

        public SiloProcess C { get; private set; } = null!;

        public IReadOnlyList<SiloProcess> All => [A, B, C];

        public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(10) };

        /// <summary>Starts the three silos on <paramref name="redis"/>, by default the Redis the test script runs.</summary>
        public static async Task<Cluster> StartAsync(string? redis = null)
        {
            if (redis is null)
            {
                await Requirements.RedisAsync();
            }

            await Requirements.DockerAsync();
            var cluster = new Cluster($"test-{Guid.NewGuid():N}"[..20], redis ?? Requirements.RedisEndpoint);
            cluster.A = cluster.StartSilo(runnerId: null, runner: true);
            cluster.B = cluster.StartSilo(runnerId: null, runner: true);
            cluster.C = cluster.StartSilo(runnerId: null, runner: false);
            await Task.WhenAll(cluster.All.Select(s => s.WaitUntilAsync("/readyz", TimeSpan.FromSeconds(90), Ct)));

            var builder = Host.CreateApplicationBuilder();
            builder.UseOrleansClient(client =>
            {
                client.UseRedisClustering(cluster._redis);
                client.Configure<ClusterOptions>(o => (o.ClusterId, o.ServiceId) = (cluster._clusterId, cluster._clusterId));
            });
            cluster._client = builder.Build();
            await cluster._client.StartAsync(Ct);
            await cluster.WaitForRunnersAsync();
            return cluster;
        }

        /// <summary>
        /// Starts <paramref name="dead"/>'s runner again in a new silo process (same runner id, new ports), as an operator
        /// restarting a crashed machine's silo would; returns it once it serves and both runners are healthy again.
        /// </summary>
        public async Task<SiloProcess> RestartAsync(SiloProcess dead)
        {
            var again = StartSilo(dead.RunnerId, runner: true);
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

        private SiloProcess StartSilo(string? runnerId, bool runner)
        {
            var siloPort = FreePort.Next();
            var settings = new Dictionary<string, string>
            {
                ["ConnectionStrings:redis"] = _redis,
                ["Orleans:ClusterId"] = _clusterId,
                ["Orleans:ServiceId"] = _clusterId,
                ["Orleans:Endpoints:AdvertisedIPAddress"] = "127.0.0.1",
                ["Orleans:Endpoints:SiloPort"] = siloPort.ToString(CultureInfo.InvariantCulture),
                ["Runner:Enabled"] = runner ? "true" : "false",
            };
            if (runnerId is not null)
            {
                settings["Runner:Id"] = runnerId;
            }

            var silo = SiloProcess.Start(settings);
            _bySiloPort[siloPort] = silo;
            return silo;
        }

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

        public async Task<bool> TryPreviewAsync(SiloProcess silo, string token) =>
            await TryAsync(async () => await GetPreviewAsync(silo, token)) == "hello";

        public static async Task<T?> TryAsync<T>(Func<Task<T>> call)
            where T : class
        {
            try
            {
                return await call();
            }
            catch (Exception e) when (e is HttpRequestException or SandboxGrainsException or TaskCanceledException)
            {
                return null;
            }
        }

        /// <summary>The silo process that holds the sandbox's grain activation, asked of Orleans itself.</summary>
        public async Task<SiloProcess> GrainHostAsync(string sandboxId)
        {
            var grains = _client.Services.GetRequiredService<IClusterClient>();
            var address = await grains.GetGrain<IManagementGrain>(0).GetActivationAddress(grains.GetGrain<ISandboxGrain>(sandboxId))
                ?? throw new InvalidOperationException($"sandbox {sandboxId} has no activation");
            return _bySiloPort[address.Endpoint.Port];
        }

        public async ValueTask DisposeAsync()
        {
            Http.Dispose();
            await _client.StopAsync(CancellationToken.None);
            _client.Dispose();
            foreach (var silo in _bySiloPort.Values)
            {
                await silo.DisposeAsync();
            }
        }
    }
}
