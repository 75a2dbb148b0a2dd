using System.Diagnostics;
using SandboxGrains.Sandboxes;

namespace SandboxGrains.Bench;

/// <summary>
/// What telemetry costs (issue 20: under 5% of preview throughput): three silos side by side — telemetry as shipped
/// (metrics, no traces without an OTLP endpoint), metrics and traces both recording, and telemetry off — each with the
/// same nginx app behind a preview link, measured in interleaved rounds; and create-to-started on each, interleaved too.
/// </summary>
internal sealed class TelemetryBench(BenchOptions options)
{
    public async Task<IReadOnlyList<Measurement>> RunAsync()
    {
        var silos = new (string Name, Dictionary<string, string> Settings)[]
        {
            ("on", []),
            ("traced", new() { ["Telemetry:Tracing"] = "true" }),
            ("off", new() { ["Telemetry:Enabled"] = "false" }),
        };
        var started = new Dictionary<string, (BenchSilo Silo, PreviewBench.App App)>();
        try
        {
            foreach (var (name, settings) in silos)
            {
                var silo = await BenchSilo.StartAsync(settings);
                started[name] = (silo, await PreviewBench.StartAppAsync(silo.Client));
            }

            foreach (var (_, (_, app)) in started)
            {
                await Wrk.RunAsync(app.PreviewUrl, options.Quick ? TimeSpan.FromSeconds(1) : TimeSpan.FromSeconds(2), options.Connections, null);
            }

            var rps = started.Keys.ToDictionary(k => k, _ => new List<double>());
            var p99 = started.Keys.ToDictionary(k => k, _ => new List<double>());
            var create = started.Keys.ToDictionary(k => k, _ => new List<double>());
            // Two rounds more than other suites: the difference sought is a few percent, well inside one round's noise.
            var rounds = options.Quick ? options.Rounds : options.Rounds + 2;
            for (var round = 0; round < rounds; round++)
            {
                foreach (var (name, (_, app)) in started)
                {
                    var result = await Wrk.RunAsync(app.PreviewUrl, options.LoadDuration, options.Connections, null);
                    if (result.Errors > 0)
                    {
                        throw new InvalidOperationException($"telemetry {name}: {result.Errors} failed requests");
                    }

                    rps[name].Add(result.RequestsPerSecond);
                    p99[name].Add(result.P99Ms);
                    Console.WriteLine($"  round {round + 1} preview, telemetry {name}: {result.RequestsPerSecond:N0} req/s, p99 {result.P99Ms:0.00} ms");
                }

                for (var i = 0; i < (options.Quick ? 2 : 4); i++)
                {
                    foreach (var (name, (silo, _)) in started)
                    {
                        var clock = Stopwatch.StartNew();
                        var sandbox = await silo.Client.CreateSandboxAsync(new CreateSandboxRequest { Image = "sandboxgrains/busybox:latest", Cpu = 0.25, MemoryMb = 64 });
                        create[name].Add(clock.Elapsed.TotalMilliseconds);
                        await silo.Client.DeleteSandboxAsync(sandbox.Id);
                    }
                }
            }

            const string Section = "Telemetry";
            return
            [
                new(Section, "requests/s through a preview link, telemetry as shipped (metrics) vs off", "req/s", rps["on"], "telemetry off", rps["off"], HigherIsBetter: true, "target: ratio ≥ 0.95"),
                new(Section, "requests/s through a preview link, metrics and traces recording vs telemetry off", "req/s", rps["traced"], "telemetry off", rps["off"], HigherIsBetter: true,
                    "traces are recorded only with an OTLP endpoint (or Telemetry:Tracing=true)"),
                new(Section, "p99 latency through a preview link, telemetry as shipped vs off", "ms", p99["on"], "telemetry off", p99["off"], HigherIsBetter: false),
                new(Section, "create to started, telemetry as shipped vs off", "ms", create["on"], "telemetry off", create["off"], HigherIsBetter: false),
                new(Section, "create to started, metrics and traces recording vs telemetry off", "ms", create["traced"], "telemetry off", create["off"], HigherIsBetter: false),
            ];
        }
        finally
        {
            foreach (var (_, (silo, _)) in started)
            {
                await silo.DisposeAsync();
            }
        }
    }
}
