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

        const string Section = "Create to ready";
        var note = $"{options.CreateCount} one after another; busybox, {Cpu} CPU, {MemoryMb} MB";
        return
        [
            new(Section, "median, API call → started and daemon answering", "ms", ours, "docker run -d + first docker exec true", docker, HigherIsBetter: false, note),
            new(Section, "p90, API call → started and daemon answering", "ms", [Measurement.Percentile(ours, 0.9)], "docker run -d + first docker exec true",
                [Measurement.Percentile(docker, 0.9)], HigherIsBetter: false),
        ];
    }
}
