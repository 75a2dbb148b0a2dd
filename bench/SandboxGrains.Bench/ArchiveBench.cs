using System.Diagnostics;
using SandboxGrains.Client;
using SandboxGrains.Sandboxes;
using SandboxGrains.Testing;

namespace SandboxGrains.Bench;

/// <summary>
/// Archive and restore of a stopped sandbox with 100 MB written (bench item of the lifecycle issue): our archive (commit
/// to an image, container removed) and our restore (container made again from it, daemon answering, first command run),
/// against <c>docker commit</c> + <c>docker rm</c> and <c>docker run -d</c> of the committed image + first
/// <c>docker exec true</c> of a plain container with the same 100 MB. Rounds alternate between the two.
/// </summary>
internal sealed class ArchiveBench(BenchOptions options, BenchSilo silo)
{
    private const string Image = "sandboxgrains/busybox:latest";
    private const string Write100Mb = "head -c 104857600 /dev/urandom > /data.bin && sync";

    public async Task<IReadOnlyList<Measurement>> RunAsync()
    {
        var client = silo.Client;
        List<double> archive = [], restore = [], commit = [], run = [];
        for (var round = 0; round < options.ArchiveRounds; round++)
        {
            var sandbox = await client.CreateSandboxAsync(new CreateSandboxRequest { Image = Image, Cpu = 1, MemoryMb = 256, AutoStopMinutes = 0 });
            try
            {
                Succeeded.Require(await client.ExecuteAsync(sandbox.Id, $"sh -c '{Write100Mb}'", timeoutSeconds: 120), "writing 100 MB");
                await client.StopSandboxAsync(sandbox.Id);
                var clock = Stopwatch.StartNew();
                await client.ArchiveSandboxAsync(sandbox.Id);
                archive.Add(clock.Elapsed.TotalMilliseconds);
                clock.Restart();
                await client.StartSandboxAsync(sandbox.Id);
                Succeeded.Require(await client.ExecuteAsync(sandbox.Id, "true"), "the first command after the restore");
                restore.Add(clock.Elapsed.TotalMilliseconds);
            }
            finally
            {
                await client.DeleteSandboxAsync(sandbox.Id);
            }

            var (committed, restarted) = await DockerRoundAsync();
            commit.Add(committed);
            run.Add(restarted);
            Console.WriteLine($"  round {round + 1}: archive {archive[^1]:0} ms vs commit {committed:0} ms; restore {restore[^1]:0} ms vs run {restarted:0} ms");
        }

        const string Section = "Archive and restore";
        var note = $"{options.ArchiveRounds} rounds; busybox with 100 MB of random bytes written, stopped";
        return
        [
            new(Section, "archive: stopped sandbox → archived (committed, container removed)", "ms", archive, "docker commit + docker rm", commit, HigherIsBetter: false, note),
            new(Section, "restore: start of an archived sandbox → first command done", "ms", restore, "docker run -d of the committed image + first docker exec true", run, HigherIsBetter: false),
        ];
    }

    /// <summary>The same with plain Docker: a container with 100 MB written, stopped, committed and removed, then run again.</summary>
    private static async Task<(double Commit, double Run)> DockerRoundAsync()
    {
        var name = Baselines.NewName();
        var image = $"sandboxgrains-bench-archive:{name[^12..]}";
        string? again = null;
        try
        {
            await ProcessRunner.DockerAsync("run", "-d", "--name", name, Image, "sleep", "3600");
            await ProcessRunner.DockerAsync("exec", name, "sh", "-c", Write100Mb);
            await ProcessRunner.DockerAsync("stop", "-t", "1", name);
            var clock = Stopwatch.StartNew();
            await ProcessRunner.DockerAsync("commit", name, image);
            await ProcessRunner.DockerAsync("rm", name);
            var commit = clock.Elapsed.TotalMilliseconds;

            again = Baselines.NewName();
            clock.Restart();
            await ProcessRunner.DockerAsync("run", "-d", "--name", again, image, "sleep", "3600");
            await Baselines.WaitUntilExecWorksAsync(again, clock);
            return (commit, clock.Elapsed.TotalMilliseconds);
        }
        finally
        {
            await Baselines.RemoveAsync([name, .. again is null ? Array.Empty<string>() : [again]]);
            await ProcessRunner.RunAsync("docker", ["rmi", image]);
        }
    }
}
