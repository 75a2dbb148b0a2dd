using System.Diagnostics;
using System.Security.Cryptography;
using SandboxGrains.Sandboxes;
using SandboxGrains.Testing;

namespace SandboxGrains.Bench;

/// <summary>
/// The toolbox against <c>docker</c> itself, on one busybox sandbox: <c>echo</c> round trips through
/// <c>/toolbox/{id}/process/execute</c> vs <c>docker exec</c> (bench item 4), and a file uploaded and downloaded through
/// the toolbox vs <c>docker cp</c> in and out (item 7). Rounds alternate between ours and the baseline.
/// </summary>
internal sealed class ToolboxBench(BenchOptions options, BenchSilo silo)
{
    private TimeSpan SampleDuration => options.Smoke ? TimeSpan.FromSeconds(0.5) : options.Quick ? TimeSpan.FromSeconds(1.5) : TimeSpan.FromSeconds(3);

    public async Task<IReadOnlyList<Measurement>> ExecuteAsync()
    {
        var sandbox = await silo.Client.CreateSandboxAsync(new CreateSandboxRequest { Image = "sandboxgrains/busybox:latest", Cpu = 1, MemoryMb = 256 });
        try
        {
            var echoed = await silo.Client.ExecuteAsync(sandbox.Id, "echo hi");
            if (echoed.ExitCode != 0 || echoed.Result.Trim() != "hi")
            {
                throw new InvalidOperationException($"echo through the toolbox answered {echoed.ExitCode}: {echoed.Result}");
            }

            List<double> ours = [], docker = [];
            for (var round = -1; round < options.Rounds; round++)
            {
                var toolbox = await RoundTripsPerSecondAsync(async () => await silo.Client.ExecuteAsync(sandbox.Id, "echo hi"));
                var exec = await RoundTripsPerSecondAsync(() => ProcessRunner.DockerAsync("exec", sandbox.ContainerId!, "echo", "hi"));
                if (round >= 0)
                {
                    ours.Add(toolbox);
                    docker.Add(exec);
                    Console.WriteLine($"  round {round + 1} execute: toolbox {toolbox:0.0}/s, docker exec {exec:0.0}/s");
                }
            }

            return
            [
                new("Toolbox", "echo round trips through /toolbox/{id}/process/execute", "per s", ours, "docker exec", docker, HigherIsBetter: true,
                    "one caller, one after another, through the silo and the daemon"),
            ];
        }
        finally
        {
            await silo.Client.DeleteSandboxAsync(sandbox.Id);
        }
    }

    public async Task<IReadOnlyList<Measurement>> FilesAsync()
    {
        var sandbox = await silo.Client.CreateSandboxAsync(new CreateSandboxRequest { Image = "sandboxgrains/busybox:latest", Cpu = 1, MemoryMb = 512 });
        var folder = Directory.CreateTempSubdirectory("sandboxgrains-bench-files-").FullName;
        try
        {
            var source = Path.Combine(folder, "source.bin");
            var megabytes = options.TransferMb;
            await File.WriteAllBytesAsync(source, RandomNumberGenerator.GetBytes(megabytes * 1024 * 1024));
            var expected = await HashAsync(source);
            var container = sandbox.ContainerId!;

            List<double> upload = [], download = [], copyIn = [], copyOut = [];
            for (var round = 0; round < options.Rounds; round++)
            {
                upload.Add(await MegabytesPerSecondAsync(megabytes, async () =>
                {
                    await using var content = File.OpenRead(source);
                    await silo.Client.UploadFileAsync(sandbox.Id, "/tmp/toolbox.bin", content);
                }));
                var downloaded = Path.Combine(folder, "toolbox.bin");
                download.Add(await MegabytesPerSecondAsync(megabytes, async () =>
                {
                    await using var stream = await silo.Client.DownloadFileAsync(sandbox.Id, "/tmp/toolbox.bin");
                    await using var file = File.Create(downloaded);
                    await stream.CopyToAsync(file);
                }));
                copyIn.Add(await MegabytesPerSecondAsync(megabytes, () => ProcessRunner.DockerAsync("cp", source, $"{container}:/tmp/docker.bin")));
                var copied = Path.Combine(folder, "docker.bin");
                copyOut.Add(await MegabytesPerSecondAsync(megabytes, () => ProcessRunner.DockerAsync("cp", $"{container}:/tmp/docker.bin", copied)));

                // What came back is what went in, both ways; then make room for the next round.
                if (await HashAsync(downloaded) != expected || await HashAsync(copied) != expected)
                {
                    throw new InvalidOperationException("a file came back different from what was sent");
                }

                await silo.Client.ExecuteAsync(sandbox.Id, "rm -f /tmp/toolbox.bin /tmp/docker.bin");
                File.Delete(downloaded);
                File.Delete(copied);
                Console.WriteLine($"  round {round + 1} files: upload {upload[^1]:0} MB/s (docker cp {copyIn[^1]:0}), download {download[^1]:0} MB/s (docker cp {copyOut[^1]:0})");
            }

            const string Section = "File transfer";
            var note = $"{megabytes} MB of random bytes; hashes checked";
            return
            [
                new(Section, "upload through the toolbox (files/upload)", "MB/s", upload, "docker cp into the container", copyIn, HigherIsBetter: true, note),
                new(Section, "download through the toolbox (files/download)", "MB/s", download, "docker cp out of the container", copyOut, HigherIsBetter: true, note),
            ];
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
            await silo.Client.DeleteSandboxAsync(sandbox.Id);
        }
    }

    /// <summary>Calls <paramref name="roundTrip"/> one after another for the sample duration (at least 3 times).</summary>
    private async Task<double> RoundTripsPerSecondAsync(Func<Task> roundTrip)
    {
        var clock = Stopwatch.StartNew();
        var count = 0;
        while (count < 3 || clock.Elapsed < SampleDuration)
        {
            await roundTrip();
            count++;
        }

        return count / clock.Elapsed.TotalSeconds;
    }

    private static async Task<double> MegabytesPerSecondAsync(int megabytes, Func<Task> transfer)
    {
        var clock = Stopwatch.StartNew();
        await transfer();
        return megabytes / clock.Elapsed.TotalSeconds;
    }

    private static async Task<string> HashAsync(string path)
    {
        await using var file = File.OpenRead(path);
        return Convert.ToHexString(await SHA256.HashDataAsync(file));
    }
}
