using System.Diagnostics;
using SandboxGrains.Client;
using SandboxGrains.Sandboxes;
using SandboxGrains.WarmPools;

namespace SandboxGrains.Bench;

/// <summary>
/// Time to first command, the field's public yardstick: from the create call until a first command (<c>true</c>) has run
/// in the sandbox. Our cold create, a create that claims from a warm pool of its kind, and <c>docker run -d</c> + the
/// first successful <c>docker exec true</c> of the same image and limits; each one after another, staggered 200 ms
/// apart, and in a burst all at once. p50, p95 and p99 of each.
/// </summary>
internal sealed class FirstCommandBench(BenchOptions options, BenchSilo silo)
{
    private const string Image = "sandboxgrains/busybox:latest";
    private const double Cpu = 0.5;
    private const int MemoryMb = 128;
    private static readonly TimeSpan Stagger = TimeSpan.FromMilliseconds(200);

    private enum Mode
    {
        OneAfterAnother,
        Staggered,
        Burst,
    }

    private int Count(Mode mode) => mode == Mode.Burst ? options.BurstCount : options.CreateCount;

    public async Task<IReadOnlyList<Measurement>> RunAsync()
    {
        var client = silo.Client;
        var request = new CreateSandboxRequest { Image = Image, Cpu = Cpu, MemoryMb = MemoryMb, AutoStopMinutes = 0, Env = new Dictionary<string, string> { ["AGENT"] = "bench" } };
        var measurements = new List<Measurement>();
        List<string> containers = [];
        WarmPool? pool = null;
        var isolated = await Baselines.CreateIsolatedNetworkAsync();
        try
        {
            // Untimed warm-up of each path: image layers, JIT, connection pools.
            await DeleteAsync(client, [(await CreateAndRunAsync(client, request)).Id]);
            containers.Add((await Baselines.RunUntilExecWorksAsync(Cpu, MemoryMb)).Name);
            containers.Add((await Baselines.RunUntilExecWorksAsync(Cpu, MemoryMb, isolated)).Name);

            foreach (var mode in Enum.GetValues<Mode>())
            {
                var count = Count(mode);
                Console.WriteLine($"  {Name(mode)}: {count} docker run + exec");
                var docker = await RunAsync(mode, count, () => DockerAsync(containers, network: null));
                await Baselines.RemoveAsync(containers);
                containers.Clear();
                Console.WriteLine($"  {Name(mode)}: {count} docker run + exec on an isolated network");
                var dockerIsolated = await RunAsync(mode, count, () => DockerAsync(containers, isolated));
                await Baselines.RemoveAsync(containers);
                containers.Clear();

                Console.WriteLine($"  {Name(mode)}: {count} cold creates");
                var made = new List<string>();
                var cold = await RunAsync(mode, count, () => TimedCreateAsync(client, request, made, claimed: false));
                await DeleteAsync(client, made);
                made.Clear();

                // A pool as large as the mode's creates, full before the first: each create finds a ready sandbox. Deleted
                // after, so the next mode's cold creates are cold.
                pool = await client.CreateWarmPoolAsync(new CreateWarmPoolRequest { Image = Image, Cpu = Cpu, MemoryMb = MemoryMb, Size = count });
                await WaitFullAsync(client, pool.Id, count);
                Console.WriteLine($"  {Name(mode)}: {count} creates claiming from a warm pool of {count}");
                var claims = await RunAsync(mode, count, () => TimedCreateAsync(client, request, made, claimed: true));
                await DeleteAsync(client, made);
                await client.DeleteWarmPoolAsync(pool.Id);
                pool = null;
                measurements.AddRange(Rows(mode, count, cold, claims, docker, dockerIsolated));
            }
        }
        finally
        {
            if (pool is not null)
            {
                await client.DeleteWarmPoolAsync(pool.Id);
            }

            await Baselines.RemoveAsync(containers);
            await Baselines.RemoveNetworkAsync(isolated);
        }

        return measurements;
    }

    private static async Task<double> DockerAsync(List<string> containers, string? network)
    {
        var (name, elapsed) = await Baselines.RunUntilExecWorksAsync(Cpu, MemoryMb, network);
        lock (containers)
        {
            containers.Add(name);
        }

        return elapsed.TotalMilliseconds;
    }

    /// <summary>One create until its first command has run, in ms; the sandbox goes in <paramref name="made"/>. A create that should have claimed from a pool and did not fails the run.</summary>
    private static async Task<double> TimedCreateAsync(SandboxGrainsHttpClient client, CreateSandboxRequest request, List<string> made, bool claimed)
    {
        var clock = Stopwatch.StartNew();
        var sandbox = await CreateAndRunAsync(client, request);
        var elapsed = clock.Elapsed.TotalMilliseconds;
        lock (made)
        {
            made.Add(sandbox.Id);
        }

        if (claimed && sandbox.LastTransition?.Reason?.StartsWith("claimed from warm pool", StringComparison.Ordinal) != true)
        {
            throw new InvalidOperationException($"sandbox {sandbox.Id} was made cold, not claimed: the pool was not ready");
        }

        return elapsed;
    }

    private static async Task<Sandbox> CreateAndRunAsync(SandboxGrainsHttpClient client, CreateSandboxRequest request)
    {
        var sandbox = await client.CreateSandboxAsync(request);
        var ran = await client.ExecuteAsync(sandbox.Id, "true");
        return ran.ExitCode == 0 ? sandbox : throw new InvalidOperationException($"the first command in {sandbox.Id} failed: {ran.Result}");
    }

    private static async Task<List<double>> RunAsync(Mode mode, int count, Func<Task<double>> one)
    {
        await Quiet.SettleAsync();
        if (mode == Mode.OneAfterAnother)
        {
            var times = new List<double>();
            for (var i = 0; i < count; i++)
            {
                times.Add(await one());
            }

            return times;
        }

        var started = new List<Task<double>>();
        for (var i = 0; i < count; i++)
        {
            started.Add(Task.Run(one));
            if (mode == Mode.Staggered && i < count - 1)
            {
                await Task.Delay(Stagger);
            }
        }

        return [.. await Task.WhenAll(started)];
    }

    private static async Task WaitFullAsync(SandboxGrainsHttpClient client, string poolId, int size)
    {
        var clock = Stopwatch.StartNew();
        while ((await client.GetWarmPoolAsync(poolId)).Ready < size)
        {
            if (clock.Elapsed > TimeSpan.FromMinutes(3))
            {
                throw new TimeoutException($"the warm pool did not fill to {size} within 3 min");
            }

            await Task.Delay(200);
        }
    }

    private static async Task DeleteAsync(SandboxGrainsHttpClient client, IEnumerable<string> ids)
    {
        foreach (var batch in ids.Chunk(8))
        {
            await Task.WhenAll(batch.Select(id => client.DeleteSandboxAsync(id)));
        }
    }

    private static IEnumerable<Measurement> Rows(
        Mode mode, int count, List<double> cold, List<double> claims, List<double> docker, List<double> dockerIsolated)
    {
        const string Section = "Time to first command";
        const string Docker = "docker run -d + first docker exec true";
        const string DockerIsolated = Docker + ", on an ICC-off network like ours";
        var name = Name(mode);
        yield return new(Section, $"{name}: p50, create claiming from a warm pool", "ms", claims, Docker, docker, HigherIsBetter: false,
            $"{count} creates; busybox, {Cpu} CPU, {MemoryMb} MB; create call until `true` has run through the toolbox");
        yield return new(Section, $"{name}: p50, cold create", "ms", cold, Docker, docker, HigherIsBetter: false);
        yield return new(Section, $"{name}: p50, cold create (isolation on both sides)", "ms", cold, DockerIsolated, dockerIsolated, HigherIsBetter: false);
        foreach (var (label, q) in new[] { ("p95", 0.95), ("p99", 0.99) })
        {
            yield return new(Section, $"{name}: {label}, create claiming from a warm pool", "ms", [Measurement.Percentile(claims, q)], $"{Docker} ({label})",
                [Measurement.Percentile(docker, q)], HigherIsBetter: false);
            yield return new(Section, $"{name}: {label}, cold create", "ms", [Measurement.Percentile(cold, q)], $"{Docker} ({label})",
                [Measurement.Percentile(docker, q)], HigherIsBetter: false);
            yield return new(Section, $"{name}: {label}, cold create (isolation on both sides)", "ms", [Measurement.Percentile(cold, q)],
                $"{DockerIsolated} ({label})", [Measurement.Percentile(dockerIsolated, q)], HigherIsBetter: false);
        }
    }

    private static string Name(Mode mode) => mode switch
    {
        Mode.OneAfterAnother => "one after another",
        Mode.Staggered => "staggered 200 ms apart",
        _ => "burst, all at once",
    };
}
