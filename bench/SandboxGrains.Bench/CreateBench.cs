using System.Diagnostics;
using SandboxGrains.Sandboxes;
using SandboxGrains.Testing;

namespace SandboxGrains.Bench;

/// <summary>
/// Create to ready (bench item 1): <c>POST /api/v1/sandboxes</c> for busybox until the sandbox is <c>started</c> and its
/// daemon answers a toolbox call, one after another; against <c>docker run -d</c> of the same image with the same
/// limits followed by the first successful <c>docker exec true</c>. Ours and the baseline alternate.
/// </summary>
internal sealed class CreateBench(BenchOptions options, BenchSilo silo)
{
    private const double Cpu = 0.5;
    private const int MemoryMb = 128;

    public async Task<IReadOnlyList<Measurement>> RunAsync()
    {
        using var http = silo.Process.CreateClient();
        List<double> ours = [], docker = [];
        List<string> containers = [];
        try
        {
            // One of each first, untimed: image layers, JIT and connection pools warm.
            for (var i = -1; i < options.CreateCount; i++)
            {
                var clock = Stopwatch.StartNew();
                var sandbox = await silo.Client.CreateSandboxAsync(new CreateSandboxRequest { Image = "sandboxgrains/busybox:latest", Cpu = Cpu, MemoryMb = MemoryMb });
                using (var version = await http.GetAsync($"/toolbox/{sandbox.Id}/version"))
                {
                    version.EnsureSuccessStatusCode();
                }

                var ready = clock.Elapsed;
                await silo.Client.DeleteSandboxAsync(sandbox.Id);

                var (name, baseline) = await Baselines.RunUntilExecWorksAsync(Cpu, MemoryMb);
                containers.Add(name);
                await ProcessRunner.RunAsync("docker", ["rm", "-f", name]);
                if (i >= 0)
                {
                    ours.Add(ready.TotalMilliseconds);
                    docker.Add(baseline.TotalMilliseconds);
                }
            }
        }
        finally
        {
            await Baselines.RemoveAsync(containers);
        }

        var claims = await ClaimFromPoolAsync(http);

        const string Section = "Create to ready";
        var note = $"{options.CreateCount} one after another; busybox, {Cpu} CPU, {MemoryMb} MB";
        return
        [
            new(Section, "median, API call → started and daemon answering", "ms", ours, "docker run -d + first docker exec true", docker, HigherIsBetter: false, note),
            new(Section, "p90, API call → started and daemon answering", "ms", [Measurement.Percentile(ours, 0.9)], "docker run -d + first docker exec true",
                [Measurement.Percentile(docker, 0.9)], HigherIsBetter: false),
            new(Section, "median, create claiming from a warm pool → first command done", "ms", claims, "docker run -d + first docker exec true", docker, HigherIsBetter: false,
                $"{claims.Count} one after another, each claim waiting until the pool has a ready sandbox; the command is `true` through the toolbox"),
            new(Section, "p90, warm pool claim → first command done", "ms", [Measurement.Percentile(claims, 0.9)], "cold create → daemon answering (p90)",
                [Measurement.Percentile(ours, 0.9)], HigherIsBetter: false),
        ];
    }

    /// <summary>Time to first command when the create claims a pooled sandbox: POST create, then one execute.</summary>
    private async Task<List<double>> ClaimFromPoolAsync(HttpClient http)
    {
        var request = new CreateSandboxRequest { Image = "sandboxgrains/busybox:latest", Cpu = Cpu, MemoryMb = MemoryMb, Env = new Dictionary<string, string> { ["AGENT"] = "bench" } };
        var pool = await silo.Client.CreateWarmPoolAsync(new WarmPools.CreateWarmPoolRequest { Image = request.Image, Cpu = Cpu, MemoryMb = MemoryMb, Size = 3 });
        List<double> claims = [];
        try
        {
            for (var i = -1; i < options.CreateCount; i++)
            {
                var deadline = Stopwatch.StartNew();
                while ((await silo.Client.GetWarmPoolAsync(pool.Id)).Ready == 0 && deadline.Elapsed < TimeSpan.FromSeconds(60))
                {
                    await Task.Delay(50);
                }

                var clock = Stopwatch.StartNew();
                var sandbox = await silo.Client.CreateSandboxAsync(request);
                var ran = await silo.Client.ExecuteAsync(sandbox.Id, "true");
                var elapsed = clock.Elapsed;
                if (ran.ExitCode != 0 || sandbox.LastTransition?.Reason?.StartsWith("claimed from warm pool", StringComparison.Ordinal) != true)
                {
                    throw new InvalidOperationException($"sandbox {sandbox.Id} was not claimed from the pool or did not run a command (exit {ran.ExitCode})");
                }

                await silo.Client.DeleteSandboxAsync(sandbox.Id);
                if (i >= 0)
                {
                    claims.Add(elapsed.TotalMilliseconds);
                }
            }
        }
        finally
        {
            await silo.Client.DeleteWarmPoolAsync(pool.Id);
        }

        return claims;
    }
}
