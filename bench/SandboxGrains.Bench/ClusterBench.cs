using System.Diagnostics;
using SandboxGrains.Client;
using SandboxGrains.Sandboxes;
using SandboxGrains.Testing;

namespace SandboxGrains.Bench;

/// <summary>
/// Cluster mode (issue 6) on a private Redis: one runner silo and two API-only front-end silos. Preview throughput
/// through one front end against the same load split over two; and failover: the silo that holds a sandbox's grain is
/// SIGKILLed, and the first successful preview request is timed through a survivor that had served the link (its route
/// is cached) and through one that had not (it must reach the sandbox's grain again, so it waits for the cluster to
/// declare the dead silo dead).
/// </summary>
internal sealed class ClusterBench(BenchOptions options)
{
    private static readonly TimeSpan Ready = TimeSpan.FromSeconds(90);

    private int FailoverRounds => options.Quick ? 3 : 5;

    public async Task<IReadOnlyList<Measurement>> RunAsync()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var cluster = new SiloCluster(redis.Endpoint, BenchSilo.Settings, BenchSilo.DeployedEnvironment);
        var runner = cluster.StartSilo(runner: true);
        var fronts = new List<SiloProcess> { cluster.StartSilo(runner: false), cluster.StartSilo(runner: false) };
        await Task.WhenAll(fronts.Append(runner).Select(s => s.WaitUntilAsync("/readyz", Ready)));
        await cluster.ConnectAsync(CancellationToken.None);
        var api = SandboxGrainsHttpClient.Create(runner.BaseAddress, runner.ApiKey);

        var throughput = await ThroughputAsync(api, fronts);
        var (cached, uncached) = await FailoverAsync(cluster, api, runner, fronts);
        const string Section = "Cluster";
        return
        [
            new(Section, "requests/s through preview links on two front-end silos vs one (same total connections)", "req/s",
                throughput.Two, "one front-end silo", throughput.One, HigherIsBetter: true,
                $"all silos share this machine's {Environment.ProcessorCount} cores, so a second silo adds no CPU here"),
            new(Section, $"SIGKILL of the silo holding the sandbox's grain → first good preview through a survivor that had served the link (median of {FailoverRounds})",
                "ms", cached, "—", null, HigherIsBetter: false, "its route was cached"),
            new(Section, $"SIGKILL of the silo holding the sandbox's grain → first good preview through a survivor that had not (median of {FailoverRounds})",
                "ms", uncached, "—", null, HigherIsBetter: false, "its route must come from the sandbox's grain, which was on the killed silo"),
        ];
    }

    private async Task<(IReadOnlyList<double> One, IReadOnlyList<double> Two)> ThroughputAsync(SandboxGrainsHttpClient api, List<SiloProcess> fronts)
    {
        Console.WriteLine("  cluster: preview throughput through one and two front-end silos");
        var app = await WithRetryAsync(() => PreviewBench.StartAppAsync(api));
        var urls = fronts.Select(f => $"{f.BaseAddress}preview/{app.PreviewToken}/").ToList();
        foreach (var url in urls)
        {
            await Wrk.RunAsync(url, options.Quick ? TimeSpan.FromSeconds(1) : TimeSpan.FromSeconds(2), options.Connections);
        }

        var one = new List<double>();
        var two = new List<double>();
        for (var round = 0; round < options.Rounds; round++)
        {
            var single = await Wrk.RunAsync(urls[0], options.LoadDuration, options.Connections);
            var split = await Task.WhenAll(urls.Select(url => Wrk.RunAsync(url, options.LoadDuration, options.Connections / 2)));
            if (single.Errors > 0 || split.Any(r => r.Errors > 0))
            {
                throw new InvalidOperationException("failed requests through a front-end silo; the measurement would be meaningless");
            }

            one.Add(single.RequestsPerSecond);
            two.Add(split.Sum(r => r.RequestsPerSecond));
            Console.WriteLine($"  round {round + 1}: one front end {one[^1]:N0} req/s, two {two[^1]:N0} req/s");
        }

        return (one, two);
    }

    private async Task<(List<double> Cached, List<double> Uncached)> FailoverAsync(
        SiloCluster cluster, SandboxGrainsHttpClient api, SiloProcess runner, List<SiloProcess> fronts)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var cached = new List<double>();
        var uncached = new List<double>();
        for (var round = 0; round < FailoverRounds; round++)
        {
            // A sandbox whose grain lives on a front end (placement decides; try again until it does). Created through a
            // front end: Orleans' default placement leans to the silo the call comes from, and after the throughput runs
            // it measured the front ends as the busier silos, so creates through the runner's silo stayed there.
            Sandbox sandbox = null!;
            SiloProcess host = null!;
            for (var attempt = 0; ; attempt++)
            {
                var through = fronts[attempt % fronts.Count];
                var frontApi = SandboxGrainsHttpClient.Create(through.BaseAddress, through.ApiKey);
                sandbox = await WithRetryAsync(() => frontApi.CreateSandboxAsync(new CreateSandboxRequest { Image = "sandboxgrains/busybox:latest", Cpu = 0.25, MemoryMb = 64 }));
                host = await cluster.GrainHostAsync(sandbox.Id);
                if (fronts.Contains(host) || attempt == 20)
                {
                    break;
                }

                await api.DeleteSandboxAsync(sandbox.Id);
            }

            if (!fronts.Contains(host))
            {
                throw new InvalidOperationException("placement kept every sandbox grain on the runner's silo; cannot measure failover");
            }

            // Only the silo about to die touches the sandbox's routes: the runner's silo has never resolved it.
            var hostApi = SandboxGrainsHttpClient.Create(host.BaseAddress, host.ApiKey);
            var started = await hostApi.ExecuteAsync(sandbox.Id, "mkdir -p /www && echo hello > /www/index.html && httpd -p 8080 -h /www");
            if (started.ExitCode != 0)
            {
                throw new InvalidOperationException($"busybox httpd did not start: {started.Result}");
            }

            var token = (await hostApi.CreatePreviewAsync(sandbox.Id, 8080)).Token!;
            var warm = fronts.Single(f => f != host);
            string Url(SiloProcess silo) => $"{silo.BaseAddress}preview/{token}/";
            if (!await AnswersAsync(http, Url(warm)))
            {
                throw new InvalidOperationException("the preview link did not answer before the kill");
            }

            var clock = Stopwatch.StartNew();
            await host.KillAsync();
            var times = await Task.WhenAll(FirstSuccessAsync(http, Url(warm), clock), FirstSuccessAsync(http, Url(runner), clock));
            cached.Add(times[0]);
            uncached.Add(times[1]);
            Console.WriteLine($"  failover {round + 1}: survivor with the route cached {times[0]:0} ms, without {times[1]:0} ms");

            // Put a front end back for the next round, and leave nothing behind.
            fronts.Remove(host);
            var replacement = cluster.StartSilo(runner: false);
            await replacement.WaitUntilAsync("/readyz", Ready);
            fronts.Add(replacement);
            await WithRetryAsync(async () => { await api.DeleteSandboxAsync(sandbox.Id); return true; });
        }

        return (cached, uncached);
    }

    /// <summary>Milliseconds on <paramref name="clock"/> at the first 200 from <paramref name="url"/>; tried every 10 ms for 30 s.</summary>
    private static async Task<double> FirstSuccessAsync(HttpClient http, string url, Stopwatch clock)
    {
        while (clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            if (await AnswersAsync(http, url))
            {
                return clock.Elapsed.TotalMilliseconds;
            }

            await Task.Delay(10);
        }

        throw new TimeoutException($"{url} did not answer within 30 s of the kill");
    }

    private static async Task<bool> AnswersAsync(HttpClient http, string url)
    {
        try
        {
            using var response = await http.GetAsync(url);
            return response.IsSuccessStatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return false;
        }
    }

    /// <summary>Retries a call the cluster answers with a retryable 503 (a runner not yet placeable, a cluster re-forming).</summary>
    private static async Task<T> WithRetryAsync<T>(Func<Task<T>> call)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            try
            {
                return await call();
            }
            catch (SandboxGrainsException e) when (e.Status == 503 && DateTime.UtcNow < deadline)
            {
                await Task.Delay(200);
            }
        }
    }
}
