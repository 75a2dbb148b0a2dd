using System.Diagnostics;
using SandboxGrains.Client;
using SandboxGrains.Sandboxes;
using SandboxGrains.WarmPools;

namespace SandboxGrains.Bench;

/// <summary>
/// Time to first command, the field's public yardstick: from the create call until a first command (<c>true</c>) has run
/// in the sandbox. Our cold create, a create that claims from a warm pool of its kind, and <c>docker run -d</c> + the
/// first successful <c>docker exec true</c> of the same image and limits; each one after another, staggered 200 ms
/// apart, and in a burst all at once. p50, p95 and p99 of each: the cold and Docker figures over interleaved rounds, after
/// untimed creates that warm the silo up (<see cref="WarmupCreates"/>).
/// </summary>
internal sealed class FirstCommandBench(BenchOptions options, BenchSilo silo)
{
    private const string Image = "sandboxgrains/busybox:latest";
    private const double Cpu = 0.5;
    private const int MemoryMb = 128;
    private static readonly TimeSpan Stagger = TimeSpan.FromMilliseconds(200);

    /// <summary>Our sandboxes not deleted yet, whatever made them; whatever a failed round leaves is deleted at the end.</summary>
    private readonly List<string> _made = [];

    private enum Mode
    {
        OneAfterAnother,
        Staggered,
        Burst,
    }

    private int Count(Mode mode) => mode == Mode.Burst ? options.BurstCount : options.CreateCount;

    /// <summary>
    /// Untimed creates before the first timed one. .NET compiles a method again, optimised, once it has run 30 times, so a
    /// fresh silo's first creates share the cores with the compiler: traced here, the silo spent about 1.2 s of CPU per
    /// 20 staggered creates over its first 80, and 0.3 s per 20 after. The Docker CLI is compiled ahead of time, so
    /// timing our first creates would measure .NET's warm-up rather than a create.
    /// </summary>
    private int WarmupCreates => options.Quick ? 20 : 100;

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
            Console.WriteLine($"  warm-up: {WarmupCreates} creates staggered 200 ms apart, untimed");
            for (var done = 0; done < WarmupCreates; done += 20)
            {
                await ColdRoundAsync(Mode.Staggered, 20, client, request);
            }

            containers.Add((await Baselines.RunUntilExecWorksAsync(Cpu, MemoryMb)).Name);
            containers.Add((await Baselines.RunUntilExecWorksAsync(Cpu, MemoryMb, isolated)).Name);
            await Baselines.RemoveAsync(containers);
            containers.Clear();

            foreach (var mode in Enum.GetValues<Mode>())
            {
                var count = Count(mode);
                var docker = new List<List<double>>();
                var dockerIsolated = new List<List<double>>();
                var cold = new List<List<double>>();
                var sides = new (string What, Func<Task<List<double>>> Run, List<List<double>> Rounds)[]
                {
                    ("docker run + exec", () => DockerRoundAsync(mode, count, containers, network: null), docker),
                    ("docker run + exec on an isolated network", () => DockerRoundAsync(mode, count, containers, isolated), dockerIsolated),
                    ("cold creates", () => ColdRoundAsync(mode, count, client, request), cold),
                };

                // Rounds alternate between the sides, each starting with the next side, so none always runs first.
                for (var round = 0; round < options.Rounds; round++)
                {
                    for (var i = 0; i < sides.Length; i++)
                    {
                        var (what, run, rounds) = sides[(round + i) % sides.Length];
                        Console.WriteLine($"  {Name(mode)}, round {round + 1} of {options.Rounds}: {count} {what}");
                        rounds.Add(await run());
                    }
                }

                // A pool as large as the mode's creates, full before the first: each create finds a ready sandbox. Deleted
                // after, so the next mode's cold creates are cold.
                pool = await client.CreateWarmPoolAsync(new CreateWarmPoolRequest { Image = Image, Cpu = Cpu, MemoryMb = MemoryMb, Size = count });
                await WaitFullAsync(client, pool.Id, count);
                Console.WriteLine($"  {Name(mode)}: {count} creates claiming from a warm pool of {count}");
                var claims = await RunAsync(mode, count, () => TimedCreateAsync(client, request, _made, claimed: true));
                await DeleteMadeAsync(client);
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

            await DeleteMadeAsync(client);
            await Baselines.RemoveAsync(containers);
            await Baselines.RemoveNetworkAsync(isolated);
        }

        return measurements;
    }

    private static async Task<List<double>> DockerRoundAsync(Mode mode, int count, List<string> containers, string? network)
    {
        var times = await RunAsync(mode, count, () => DockerAsync(containers, network));
        await Baselines.RemoveAsync(containers);
        containers.Clear();
        return times;
    }

    private async Task<List<double>> ColdRoundAsync(Mode mode, int count, SandboxGrainsHttpClient client, CreateSandboxRequest request)
    {
        var times = await RunAsync(mode, count, () => TimedCreateAsync(client, request, _made, claimed: false));
        await DeleteMadeAsync(client);
        return times;
    }

    private async Task DeleteMadeAsync(SandboxGrainsHttpClient client)
    {
        string[] made;
        lock (_made)
        {
            made = [.. _made];
            _made.Clear();
        }

        await DeleteAsync(client, made);
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
        var sandbox = await client.CreateSandboxAsync(request);
        lock (made)
        {
            made.Add(sandbox.Id);
        }

        var ran = await client.ExecuteAsync(sandbox.Id, "true");
        var elapsed = clock.Elapsed.TotalMilliseconds;
        if (ran.ExitCode != 0)
        {
            throw new InvalidOperationException($"the first command in {sandbox.Id} failed: {ran.Result}");
        }

        if (claimed && sandbox.LastTransition?.Reason?.StartsWith("claimed from warm pool", StringComparison.Ordinal) != true)
        {
            throw new InvalidOperationException($"sandbox {sandbox.Id} was made cold, not claimed: the pool was not ready");
        }

        return elapsed;
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

    private IEnumerable<Measurement> Rows(
        Mode mode, int count, List<List<double>> cold, List<double> claims, List<List<double>> dockerRounds, List<List<double>> isolatedRounds)
    {
        const string Section = "Time to first command";
        const string Docker = "docker run -d + first docker exec true";
        const string DockerIsolated = Docker + ", on an ICC-off network like ours";
        var name = Name(mode);
        foreach (var (label, q) in new[] { ("p50", 0.5), ("p95", 0.95), ("p99", 0.99) })
        {
            // Each cold and Docker figure is the median of the rounds' percentiles (min–max); the pool's is one round.
            var coldRounds = PerRound(cold, q);
            var dockerPercentiles = PerRound(dockerRounds, q);
            var docker = label == "p50" ? Docker : $"{Docker} ({label})";
            var dockerIsolated = label == "p50" ? DockerIsolated : $"{DockerIsolated} ({label})";
            yield return new(Section, $"{name}: {label}, create claiming from a warm pool", "ms", [Quantile(claims, q)], docker,
                dockerPercentiles, HigherIsBetter: false,
                label == "p50"
                    ? $"{count} creates a round, {options.Rounds} rounds interleaved ({count} claims, one round); busybox, {Cpu} CPU, {MemoryMb} MB; create call until `true` has run through the toolbox"
                    : null);
            yield return new(Section, $"{name}: {label}, cold create", "ms", coldRounds, docker, dockerPercentiles, HigherIsBetter: false);
            yield return new(Section, $"{name}: {label}, cold create (isolation on both sides)", "ms", coldRounds,
                dockerIsolated, PerRound(isolatedRounds, q), HigherIsBetter: false);
        }
    }

    private static List<double> PerRound(List<List<double>> rounds, double q) => [.. rounds.Select(r => Quantile(r, q))];

    /// <summary>p50 as the median (the mean of the middle two of an even count); the others by nearest rank.</summary>
    private static double Quantile(List<double> values, double q) => q == 0.5 ? Measurement.Median(values) : Measurement.Percentile(values, q);

    private static string Name(Mode mode) => mode switch
    {
        Mode.OneAfterAnother => "one after another",
        Mode.Staggered => "staggered 200 ms apart",
        _ => "burst, all at once",
    };
}
