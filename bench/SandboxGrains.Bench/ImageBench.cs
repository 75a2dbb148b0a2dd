using System.Diagnostics;
using SandboxGrains.Client;
using SandboxGrains.Sandboxes;
using SandboxGrains.Testing;

namespace SandboxGrains.Bench;

/// <summary>
/// Images and snapshots (bench items of the images issue), against a private docker-registry on loopback and a silo that
/// pushes snapshots there: a create whose image only the registry has vs <c>docker pull</c> + <c>docker run -d</c> +
/// first exec; a snapshot of a running sandbox with 100 MB written (commit + push) vs <c>docker commit</c> +
/// <c>docker push</c>; and a create from that snapshot vs a create from its base image. Rounds alternate ours and Docker's,
/// each from an engine that does not have the image.
/// </summary>
internal sealed class ImageBench(BenchOptions options)
{
    private const string BaseImage = "sandboxgrains/busybox:latest";
    private const string Write100Mb = "head -c 104857600 /dev/urandom > /data.bin && sync";
    private const int LayerMb = 48;

    public async Task<IReadOnlyList<Measurement>> RunAsync()
    {
        await using var registry = await RegistryServer.StartAsync();
        await using var silo = await BenchSilo.StartAsync(new Dictionary<string, string> { ["Snapshots:Registry"] = registry.Host });
        var client = silo.Client;
        List<double> pulledCreate = [], dockerPullRun = [], snapshot = [], commitPush = [], fromSnapshot = [], fromBase = [];
        for (var round = 0; round < options.ArchiveRounds; round++)
        {
            await Quiet.SettleAsync();
            var image = await registry.PushFreshImageAsync("bench/pull", LayerMb);
            var clock = Stopwatch.StartNew();
            var pulled = await client.CreateSandboxAsync(new CreateSandboxRequest { Image = image, Cpu = 1, MemoryMb = 256 });
            Succeeded.Require(await client.ExecuteAsync(pulled.Id, "true"), "the first command in a pulled sandbox");
            pulledCreate.Add(clock.Elapsed.TotalMilliseconds);
            await client.DeleteSandboxAsync(pulled.Id);
            await ProcessRunner.RunAsync("docker", ["rmi", image]);
            dockerPullRun.Add(await DockerPullRunAsync(image));

            var source = await client.CreateSandboxAsync(new CreateSandboxRequest { Image = BaseImage, Cpu = 1, MemoryMb = 256, AutoStopMinutes = 0 });
            var name = $"bench/snap-{Guid.NewGuid():N}"[..24];
            try
            {
                Succeeded.Require(await client.ExecuteAsync(source.Id, $"sh -c '{Write100Mb}'", timeoutSeconds: 120), "writing 100 MB");
                await Quiet.SettleAsync();
                clock.Restart();
                using (var http = silo.Process.CreateClient())
                using (var made = await http.PostAsync($"/api/v1/sandboxes/{source.Id}/snapshots", JsonBody($$"""{"name":"{{name}}"}""")))
                {
                    made.EnsureSuccessStatusCode();
                }

                snapshot.Add(clock.Elapsed.TotalMilliseconds);
                commitPush.Add(await DockerCommitPushAsync(registry));

                await Quiet.SettleAsync();
                clock.Restart();
                var copy = await client.CreateSandboxAsync(new CreateSandboxRequest { Snapshot = name, Cpu = 1, MemoryMb = 256 });
                Succeeded.Require(await client.ExecuteAsync(copy.Id, "true"), "the first command in a sandbox from the snapshot");
                fromSnapshot.Add(clock.Elapsed.TotalMilliseconds);
                await client.DeleteSandboxAsync(copy.Id);

                clock.Restart();
                var plain = await client.CreateSandboxAsync(new CreateSandboxRequest { Image = BaseImage, Cpu = 1, MemoryMb = 256 });
                Succeeded.Require(await client.ExecuteAsync(plain.Id, "true"), "the first command in a sandbox from the base image");
                fromBase.Add(clock.Elapsed.TotalMilliseconds);
                await client.DeleteSandboxAsync(plain.Id);
            }
            finally
            {
                await client.DeleteSandboxAsync(source.Id);
                using var http = silo.Process.CreateClient();
                await http.DeleteAsync($"/api/v1/snapshots/{name}");
            }

            Console.WriteLine($"  round {round + 1}: pulled create {pulledCreate[^1]:0} ms vs docker pull+run {dockerPullRun[^1]:0} ms; " +
                              $"snapshot {snapshot[^1]:0} ms vs commit+push {commitPush[^1]:0} ms; from snapshot {fromSnapshot[^1]:0} ms vs from base {fromBase[^1]:0} ms");
        }

        const string Section = "Images and snapshots";
        var note = $"{options.ArchiveRounds} rounds; a private docker-registry on loopback; busybox plus a {LayerMb} MB layer of random bytes to pull; 100 MB written before a snapshot";
        return
        [
            new(Section, "create from an image only the registry has → first command done", "ms", pulledCreate, "docker pull + docker run -d + first docker exec true", dockerPullRun, HigherIsBetter: false, note),
            new(Section, "snapshot of a running sandbox with 100 MB written → active (commit + push)", "ms", snapshot, "docker commit + docker push", commitPush, HigherIsBetter: false),
            new(Section, "create from that snapshot → first command done", "ms", fromSnapshot, "our create from its base image → first command done", fromBase, HigherIsBetter: false),
        ];
    }

    /// <summary>Plain Docker from an engine without the image: pull it, run it, and wait for a first exec.</summary>
    private static async Task<double> DockerPullRunAsync(string image)
    {
        var name = Baselines.NewName();
        try
        {
            var clock = Stopwatch.StartNew();
            await ProcessRunner.DockerAsync("pull", "--quiet", image);
            await ProcessRunner.DockerAsync("run", "-d", "--name", name, "--cpus", "1", "--memory", "256m", image, "sleep", "3600");
            await Baselines.WaitUntilExecWorksAsync(name, clock);
            return clock.Elapsed.TotalMilliseconds;
        }
        finally
        {
            await Baselines.RemoveAsync([name]);
            await ProcessRunner.RunAsync("docker", ["rmi", image]);
        }
    }

    /// <summary>The same snapshot with plain Docker: a running container with 100 MB written, committed and pushed.</summary>
    private static async Task<double> DockerCommitPushAsync(RegistryServer registry)
    {
        var name = Baselines.NewName();
        var image = $"{registry.Host}/bench/commit:{name[^12..]}";
        try
        {
            await ProcessRunner.DockerAsync("run", "-d", "--name", name, BaseImage, "sleep", "3600");
            await ProcessRunner.DockerAsync("exec", name, "sh", "-c", Write100Mb);
            await Quiet.SettleAsync();
            var clock = Stopwatch.StartNew();
            await ProcessRunner.DockerAsync("commit", name, image);
            await ProcessRunner.DockerAsync("push", "--quiet", image);
            return clock.Elapsed.TotalMilliseconds;
        }
        finally
        {
            await Baselines.RemoveAsync([name]);
            await ProcessRunner.RunAsync("docker", ["rmi", image]);
        }
    }

    private static StringContent JsonBody(string json) => new(json, System.Text.Encoding.UTF8, "application/json");
}
