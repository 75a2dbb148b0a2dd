using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using SandboxGrains.Client;
using SandboxGrains.Sandboxes;
using SandboxGrains.Testing;

namespace SandboxGrains.Bench;

/// <summary>
/// Scale (bench item 6), on a silo of its own: N busybox sandboxes created 8 at a time, against <c>docker run -d</c> of N
/// containers 8 at a time; the silo's memory per sandbox; and preview latency to one sandbox's app (busybox
/// <c>httpd</c>) while it is the only sandbox vs while N exist.
/// </summary>
internal sealed class ScaleBench(BenchOptions options)
{
    private const int Parallelism = 8;
    private const double Cpu = 0.25;
    private const int MemoryMb = 64;

    public async Task<IReadOnlyList<Measurement>> RunAsync()
    {
        var count = options.ScaleCount;
        await using var silo = await BenchSilo.StartAsync(new Dictionary<string, string>
        {
            ["Runner:MemoryOvercommit"] = "4",
            ["Runner:MaxSandboxes"] = (count + 10).ToString(CultureInfo.InvariantCulture),
        });
        var first = await silo.Client.CreateSandboxAsync(new CreateSandboxRequest { Image = "sandboxgrains/busybox:latest", Cpu = Cpu, MemoryMb = MemoryMb });
        var started = await silo.Client.ExecuteAsync(first.Id, "mkdir -p /www && echo hello > /www/index.html && httpd -p 8080 -h /www");
        if (started.ExitCode != 0)
        {
            throw new InvalidOperationException($"busybox httpd did not start: {started.Result}");
        }

        var preview = await silo.Client.CreatePreviewAsync(first.Id, 8080);
        using var browser = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var atOne = await LatenciesAsync(browser, preview.Url!);
        await Task.Delay(TimeSpan.FromSeconds(2));
        var rssAtOne = RssMb(silo.Process.ProcessId);

        // Plain containers the same way, first, while the engine is as empty as it was for the first sandbox: the rate
        // settles within 20–50 (the engine on this host limits both), and creating all N twice would double the longest step.
        var names = new ConcurrentBag<string>();
        var baselineCount = Math.Min(count - 1, options.Quick ? 12 : 50);
        double dockerRate;
        var clock = Stopwatch.StartNew();
        try
        {
            await Parallel.ForEachAsync(Enumerable.Range(1, baselineCount), new ParallelOptions { MaxDegreeOfParallelism = Parallelism }, async (_, _) =>
            {
                var (name, _) = await Baselines.RunUntilExecWorksAsync(Cpu, MemoryMb);
                names.Add(name);
            });
            dockerRate = baselineCount / clock.Elapsed.TotalSeconds;
        }
        finally
        {
            await Baselines.RemoveAsync(names);
        }

        // N − 1 more through the API, 8 at a time. A failed create is counted and reported, not fatal: at this scale a
        // failure is a finding of the benchmark.
        var failures = new ConcurrentBag<string>();
        var done = 0;
        var lastReport = TimeSpan.Zero;
        var progressLock = new Lock();
        void ReportProgress(int total, TimeSpan elapsed)
        {
            // The rate of each 50, so a slowdown as sandboxes pile up shows while it happens.
            if (total % 50 != 0)
            {
                return;
            }

            lock (progressLock)
            {
                Console.WriteLine($"  {total} created in {elapsed.TotalSeconds:0.0} s; the last 50 at {50 / (elapsed - lastReport).TotalSeconds:0.00} per s");
                lastReport = elapsed;
            }
        }

        clock.Restart();
        await Parallel.ForEachAsync(Enumerable.Range(1, count - 1), new ParallelOptions { MaxDegreeOfParallelism = Parallelism }, async (_, cancellationToken) =>
        {
            try
            {
                await silo.Client.CreateSandboxAsync(new CreateSandboxRequest { Image = "sandboxgrains/busybox:latest", Cpu = Cpu, MemoryMb = MemoryMb }, cancellationToken);
                ReportProgress(Interlocked.Increment(ref done), clock.Elapsed);
            }
            catch (SandboxGrainsException e)
            {
                failures.Add(e.Message);
                Console.WriteLine($"  create failed: {e.Message}");
            }
        });
        var created = count - 1 - failures.Count;
        var ourRate = created / clock.Elapsed.TotalSeconds;
        Console.WriteLine($"  created {created} sandboxes in {clock.Elapsed.TotalSeconds:0.0} s ({failures.Count} failed)");

        await Task.Delay(TimeSpan.FromSeconds(2));
        var rssAtN = RssMb(silo.Process.ProcessId);
        var atN = await LatenciesAsync(browser, preview.Url!);

        // The silo's disposal removes its containers in bulk; deleting 300 sandboxes one by one would add minutes.
        const string Section = "Scale";
        var perSandboxKb = (rssAtN - rssAtOne) * 1024 / created;
        var failed = failures.IsEmpty ? "none failed" : $"{failures.Count} failed, e.g. \"{failures.First()}\"";
        return
        [
            new(Section, $"sandboxes created per second, {count - 1} at {Parallelism} at a time ({failed})", "per s", [ourRate], $"docker run -d + first docker exec true ({baselineCount})", [dockerRate],
                HigherIsBetter: true, $"busybox, {Cpu} CPU, {MemoryMb} MB each; one run each"),
            new(Section, "silo memory per sandbox (RSS growth ÷ sandboxes)", "KB", [perSandboxKb], "", null, HigherIsBetter: false,
                $"silo RSS {rssAtOne:0} MB with 1 sandbox, {rssAtN:0} MB with {created + 1}"),
            new(Section, $"preview p50 latency with {created + 1} sandboxes vs with 1", "ms", [Measurement.Median(atN)], "with 1 sandbox", [Measurement.Median(atOne)], HigherIsBetter: false,
                "one caller, sequential GETs through the path-form link"),
            new(Section, $"preview p99 latency with {created + 1} sandboxes vs with 1", "ms", [Measurement.Percentile(atN, 0.99)], "with 1 sandbox", [Measurement.Percentile(atOne, 0.99)],
                HigherIsBetter: false),
        ];
    }

    /// <summary>Sequential GETs through the link (after a warm-up), each timed in milliseconds.</summary>
    private async Task<List<double>> LatenciesAsync(HttpClient browser, string url)
    {
        var samples = options.Quick ? 200 : 1000;
        List<double> latencies = [];
        for (var i = -50; i < samples; i++)
        {
            var clock = Stopwatch.StartNew();
            using var answer = await browser.GetAsync(url);
            answer.EnsureSuccessStatusCode();
            await answer.Content.ReadAsByteArrayAsync();
            if (i >= 0)
            {
                latencies.Add(clock.Elapsed.TotalMilliseconds);
            }
        }

        return latencies;
    }

    private static double RssMb(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024;
    }
}
