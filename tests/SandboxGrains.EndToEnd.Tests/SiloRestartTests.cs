using System.Net;
using System.Net.Http.Json;
using SandboxGrains.Volumes;

namespace SandboxGrains.EndToEnd.Tests;

/// <summary>The embedded silo keeps state in memory: after a restart its sandboxes must be found again from Docker.</summary>
public sealed class SiloRestartTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task EmbeddedSiloKilledAndRestarted_SandboxesListedOnceAndWorking()
    {
        await Requirements.DockerAsync();
        var runnerId = $"restart-{Guid.NewGuid():N}"[..20];
        var settings = new Dictionary<string, string> { ["Runner:Id"] = runnerId, ["Runner:CpuOvercommit"] = "32" };
        // A container adopted before the restart carries no labels; it must be found again through its adoption marker.
        var adoptedName = $"adopted-{Guid.NewGuid():N}"[..20];
        await ProcessRunner.DockerAsync("run", "-d", "--name", adoptedName, "sandboxgrains/base:latest", "sleep", "1d");
        try
        {
            await KillAndRestartAsync(runnerId, settings, adoptedName);
        }
        finally
        {
            await ProcessRunner.RunAsync("docker", ["rm", "-f", adoptedName], cancellationToken: Ct);
        }
    }

    [Fact]
    public async Task EmbeddedSiloRestarted_KnowsItsSnapshotsFromDisk_AndItsVolumesFromDocker()
    {
        await Requirements.DockerAsync();
        var data = Directory.CreateTempSubdirectory("sandboxgrains-restart-").FullName;
        var settings = new Dictionary<string, string>
        {
            ["Runner:Id"] = $"restart-{Guid.NewGuid():N}"[..20],
            ["Runner:CpuOvercommit"] = "32",
            ["Silo:DataDirectory"] = data,
        };
        var snapshot = $"kept-{Guid.NewGuid():N}"[..16];
        var volume = $"kept-{Guid.NewGuid():N}"[..16];
        try
        {
            await using (var first = SiloProcess.Start(settings))
            {
                await first.WaitUntilAsync("/readyz", TimeSpan.FromSeconds(60), Ct);
                var client = SandboxGrainsHttpClient.Create(first.BaseAddress, first.ApiKey);
                using var http = first.CreateClient();
                (await http.PostAsJsonAsync("/api/v1/volumes", new { name = volume }, Ct)).EnsureSuccessStatusCode();
                var source = await client.CreateSandboxAsync(new CreateSandboxRequest { Image = "sandboxgrains/busybox:latest", Cpu = 0.25, MemoryMb = 64 }, Ct);
                await client.ExecuteAsync(source.Id, "sh -c 'echo in-the-snapshot > /kept'", cancellationToken: Ct);
                (await http.PostAsJsonAsync($"/api/v1/sandboxes/{source.Id}/snapshots", new { name = snapshot }, Ct)).EnsureSuccessStatusCode();
                await client.DeleteSandboxAsync(source.Id, cancellationToken: Ct);
                await first.KillAsync();
            }

            await using var second = SiloProcess.Start(settings);
            await second.WaitUntilAsync("/readyz", TimeSpan.FromSeconds(60), Ct);
            var again = SandboxGrainsHttpClient.Create(second.BaseAddress, second.ApiKey);
            using var http2 = second.CreateClient();
            Assert.Contains("\"state\":\"active\"", await http2.GetStringAsync($"/api/v1/snapshots/{snapshot}", Ct), StringComparison.Ordinal);
            Assert.Contains(volume, await http2.GetStringAsync($"/api/v1/volumes/{volume}", Ct), StringComparison.Ordinal);

            var copy = await again.CreateSandboxAsync(new CreateSandboxRequest
            {
                Snapshot = snapshot, Cpu = 0.25, MemoryMb = 64, Volumes = [new VolumeMount(volume, "/data")],
            }, Ct);
            Assert.Equal("in-the-snapshot", (await again.ExecuteAsync(copy.Id, "cat /kept", cancellationToken: Ct)).Result.Trim());
            Assert.Equal(0, (await again.ExecuteAsync(copy.Id, "touch /data/ok", cancellationToken: Ct)).ExitCode);
            await again.DeleteSandboxAsync(copy.Id, cancellationToken: Ct);
            Assert.Equal(HttpStatusCode.NoContent, (await http2.DeleteAsync($"/api/v1/snapshots/{snapshot}", Ct)).StatusCode);
            Assert.Equal(HttpStatusCode.NoContent, (await http2.DeleteAsync($"/api/v1/volumes/{volume}", Ct)).StatusCode);
        }
        finally
        {
            await ProcessRunner.RunAsync("docker", ["volume", "rm", "-f", $"sandboxgrains-vol-{volume}"], cancellationToken: Ct);
            Directory.Delete(data, recursive: true);
        }
    }

    private static async Task KillAndRestartAsync(string runnerId, Dictionary<string, string> settings, string adoptedName)
    {
        string[] ids;
        string adoptedId;
        var first = SiloProcess.Start(settings);
        first.KeepContainers = true;
        await using (first)
        {
            await first.WaitUntilAsync("/readyz", TimeSpan.FromSeconds(60), Ct);
            var client = SandboxGrainsHttpClient.Create(first.BaseAddress, first.ApiKey);
            var created = await Task.WhenAll(
                client.CreateSandboxAsync(new CreateSandboxRequest { Image = "sandboxgrains/busybox:latest", Cpu = 0.25, MemoryMb = 64, Labels = new Dictionary<string, string> { ["k"] = "v" } }, Ct),
                client.CreateSandboxAsync(new CreateSandboxRequest { Image = "sandboxgrains/busybox:latest", Cpu = 0.25, MemoryMb = 64, Injection = "copy", Cmd = ["sleep", "1d"] }, Ct));
            ids = [.. created.Select(s => s.Id).Order()];
            await client.ExecuteAsync(ids[0], "echo kept > /tmp/kept", cancellationToken: Ct);
            adoptedId = (await client.AdoptSandboxAsync(adoptedName, cancellationToken: Ct)).Id;
            await first.KillAsync();
        }

        await using var second = SiloProcess.Start(settings);
        await second.WaitUntilAsync("/readyz", TimeSpan.FromSeconds(60), Ct);
        var again = SandboxGrainsHttpClient.Create(second.BaseAddress, second.ApiKey);

        var listed = await Eventually.WaitAsync(
            () => again.ListSandboxesAsync(cancellationToken: Ct),
            l => l.Count(s => (ids.Contains(s.Id) || s.Id == adoptedId) && s.State == "started") == 3,
            TimeSpan.FromSeconds(30),
            "all three sandboxes listed as started after the restart");
        Assert.Equal(ids.Append(adoptedId).Order(), listed.Select(s => s.Id).Order());
        var adopted = Assert.Single(listed, s => s.Id == adoptedId);
        Assert.Equal((true, "copy", adoptedName), (adopted.Adopted, adopted.Injection, adopted.Name));
        Assert.Equal("still mine", (await again.ExecuteAsync(adoptedId, "echo still mine", cancellationToken: Ct)).Result.Trim());
        // Rebuilt from the containers' labels: the caller's labels and the injection mode survive the lost memory state.
        Assert.Single(listed, s => s.Labels.GetValueOrDefault("k") == "v" && s.Injection == "mount");
        Assert.Single(listed, s => s.Injection == "copy" && !s.Adopted);
        foreach (var id in ids)
        {
            Assert.Equal(0, (await again.ExecuteAsync(id, "true", cancellationToken: Ct)).ExitCode);
        }

        Assert.Equal(2, (await Containers.WithLabelAsync("sandboxgrains.runner-id", runnerId)).Length);
        foreach (var id in ids)
        {
            await again.DeleteSandboxAsync(id, cancellationToken: Ct);
        }

        Assert.Empty(await Containers.WithLabelAsync("sandboxgrains.runner-id", runnerId));

        // Deleting the rebuilt adopted sandbox still gives the container back to its owner, running.
        await again.DeleteSandboxAsync(adoptedId, cancellationToken: Ct);
        Assert.Equal("running", await Containers.StatusAsync(adoptedName));
    }
}
