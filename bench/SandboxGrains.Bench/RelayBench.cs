using System.Globalization;
using System.Security.Cryptography;
using SandboxGrains.Client;
using SandboxGrains.Testing;

namespace SandboxGrains.Bench;

/// <summary>
/// The extra hop of a cluster across hosts (issue 22): one runner silo that serves its relay and one front-end silo, on
/// a private Redis, the runner's containers marked as not reachable from other silos. The same preview link is loaded
/// through the runner's own silo (straight to the container) and through the front end (through the relay), in
/// interleaved rounds. On one machine both silos share its cores, so the relay's bytes cost CPU that a second host would
/// bring its own of; the ratio is an upper bound on the hop's cost.
/// </summary>
internal sealed class RelayBench(BenchOptions options)
{
    public async Task<IReadOnlyList<Measurement>> RunAsync()
    {
        await using var redis = await RedisServer.StartAsync();
        var settings = new Dictionary<string, string>(BenchSilo.Settings)
        {
            ["Cluster:Secret"] = Convert.ToHexString(RandomNumberGenerator.GetBytes(32)),
            ["Runner:ContainerNetworkReachable"] = "false",
        };
        await using var cluster = new SiloCluster(redis.Endpoint, settings, BenchSilo.DeployedEnvironment);
        var runner = cluster.StartSilo(runner: true, relayUrl: $"http://127.0.0.1:{FreePort.Next().ToString(CultureInfo.InvariantCulture)}");
        var front = cluster.StartSilo(runner: false);
        await Task.WhenAll(runner.WaitUntilAsync("/readyz", TimeSpan.FromSeconds(90)), front.WaitUntilAsync("/readyz", TimeSpan.FromSeconds(90)));
        var app = await PreviewBench.StartAppAsync(SandboxGrainsHttpClient.Create(runner.BaseAddress, runner.ApiKey));
        var lanes = new (string Name, string Url)[]
        {
            ("straight", $"{runner.BaseAddress}preview/{app.PreviewToken}/"),
            ("relay", $"{front.BaseAddress}preview/{app.PreviewToken}/"),
        };
        foreach (var (_, url) in lanes)
        {
            await Wrk.RunAsync(url, options.Quick ? TimeSpan.FromSeconds(1) : TimeSpan.FromSeconds(2), options.Connections);
        }

        var results = lanes.ToDictionary(l => l.Name, _ => new List<Wrk.Result>());
        for (var round = 0; round < options.Rounds; round++)
        {
            foreach (var (name, url) in lanes)
            {
                var result = await Wrk.RunAsync(url, options.LoadDuration, options.Connections);
                if (result.Errors > 0)
                {
                    throw new InvalidOperationException($"relay bench, {name}: {result.Errors} failed requests; the measurement would be meaningless");
                }

                results[name].Add(result);
                Console.WriteLine($"  round {round + 1} preview {name}: {result.RequestsPerSecond:N0} req/s, p50 {result.P50Ms:0.00} ms, p99 {result.P99Ms:0.00} ms");
            }
        }

        const string Section = "Across hosts";
        const string Straight = "straight from the runner's silo";
        List<double> Of(string lane, Func<Wrk.Result, double> pick) => [.. results[lane].Select(pick)];
        return
        [
            new(Section, "requests/s through a preview link from another silo, through the runner's relay", "req/s",
                Of("relay", r => r.RequestsPerSecond), Straight, Of("straight", r => r.RequestsPerSecond), HigherIsBetter: true,
                "target: ratio well above 0.5; both silos and the app share this machine's cores"),
            new(Section, "p50 latency through the runner's relay", "ms", Of("relay", r => r.P50Ms), Straight, Of("straight", r => r.P50Ms), HigherIsBetter: false),
            new(Section, "p99 latency through the runner's relay", "ms", Of("relay", r => r.P99Ms), Straight, Of("straight", r => r.P99Ms), HigherIsBetter: false),
        ];
    }
}
