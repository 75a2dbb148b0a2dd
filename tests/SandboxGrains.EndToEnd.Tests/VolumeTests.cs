using System.Net;
using System.Net.Http.Json;
using SandboxGrains.Volumes;

namespace SandboxGrains.EndToEnd.Tests;

/// <summary>
/// Named volumes against a real silo and Docker: data written in one sandbox read in the next, kept across an archive,
/// never removed from under a sandbox, and every malformed request refused before anything is made.
/// </summary>
public sealed class VolumeTests(SandboxSiloFixture fixture) : IClassFixture<SandboxSiloFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private SandboxGrainsHttpClient Client => fixture.Client;

    [Fact]
    public async Task Volume_OutlivesTheSandboxThatWroteIt_IsReadInTheNext_SurvivesAnArchive_AndIsNotDeletedWhileMounted()
    {
        using var http = fixture.Silo.CreateClient();
        var name = $"work-{Guid.NewGuid():N}"[..20];
        using (var created = await http.PostAsJsonAsync("/api/v1/volumes", new { name }, Ct))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            var volume = (await created.Content.ReadFromJsonAsync<VolumeInfo>(Ct))!;
            Assert.Equal(fixture.Silo.RunnerId, volume.RunnerId);
            Assert.Equal("sandboxgrains-vol-" + name, volume.DockerVolume);
        }

        // Docker itself has it, labelled as ours.
        Assert.Equal(name, await ProcessRunner.DockerAsync("volume", "inspect", "-f", "{{index .Labels \"sandboxgrains.volume\"}}", "sandboxgrains-vol-" + name));
        using (var again = await http.PostAsJsonAsync("/api/v1/volumes", new { name }, Ct))
        {
            Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
            Assert.Equal("volume_exists", (await again.Content.ReadFromJsonAsync<Problem>(Ct))!.Code);
        }

        var writer = await Client.CreateSandboxAsync(new CreateSandboxRequest
        {
            Image = "sandboxgrains/busybox:latest", Cpu = 0.25, MemoryMb = 64,
            Volumes = [new VolumeMount(name, "/data")],
        }, Ct);
        Assert.Equal([new VolumeMount(name, "/data")], writer.Volumes);
        Assert.Equal(0, (await Client.ExecuteAsync(writer.Id, "sh -c 'echo kept > /data/note'", cancellationToken: Ct)).ExitCode);
        await Client.DeleteSandboxAsync(writer.Id, cancellationToken: Ct);

        var reader = await Client.CreateSandboxAsync(new CreateSandboxRequest
        {
            Image = "sandboxgrains/busybox:latest", Cpu = 0.25, MemoryMb = 64,
            Volumes = [new VolumeMount(name, "/mnt/shared", ReadOnly: true)],
        }, Ct);
        try
        {
            Assert.Equal("kept", (await Client.ExecuteAsync(reader.Id, "cat /mnt/shared/note", cancellationToken: Ct)).Result.Trim());
            Assert.NotEqual(0, (await Client.ExecuteAsync(reader.Id, "sh -c 'echo x > /mnt/shared/other'", cancellationToken: Ct)).ExitCode);

            using (var refused = await http.DeleteAsync($"/api/v1/volumes/{name}", Ct))
            {
                var problem = (await refused.Content.ReadFromJsonAsync<Problem>(Ct))!;
                Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
                Assert.Equal("volume_in_use", problem.Code);
                Assert.Contains($"sandbox {reader.Id}", problem.Detail, StringComparison.Ordinal);
            }

            // An archive keeps what the sandbox wrote in its own filesystem, and mounts the volume again on restore.
            await Client.StopSandboxAsync(reader.Id, Ct);
            using (var archived = await http.PostAsync($"/api/v1/sandboxes/{reader.Id}/archive", null, Ct))
            {
                Assert.Equal(HttpStatusCode.OK, archived.StatusCode);
            }

            // Archived, the sandbox has no container to hold the volume in Docker's eyes; the cluster still refuses.
            using (var stillRefused = await http.DeleteAsync($"/api/v1/volumes/{name}", Ct))
            {
                Assert.Equal(HttpStatusCode.Conflict, stillRefused.StatusCode);
                Assert.Contains(reader.Id, (await stillRefused.Content.ReadFromJsonAsync<Problem>(Ct))!.Detail, StringComparison.Ordinal);
            }

            Assert.Equal("started", (await Client.StartSandboxAsync(reader.Id, Ct)).State);
            Assert.Equal("kept", (await Client.ExecuteAsync(reader.Id, "cat /mnt/shared/note", cancellationToken: Ct)).Result.Trim());
        }
        finally
        {
            await Client.DeleteSandboxAsync(reader.Id, cancellationToken: Ct);
        }

        using (var listed = await http.GetAsync("/api/v1/volumes", Ct))
        {
            Assert.Contains(name, await listed.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        }

        using (var deleted = await http.DeleteAsync($"/api/v1/volumes/{name}", Ct))
        {
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }

        Assert.NotEqual(0, (await ProcessRunner.RunAsync("docker", ["volume", "inspect", "sandboxgrains-vol-" + name], cancellationToken: Ct)).ExitCode);
        using var gone = await http.GetAsync($"/api/v1/volumes/{name}", Ct);
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
    }

    public static TheoryData<string, string> BadVolumeMounts => new()
    {
        { """[{"name":"a/b","mountPath":"/data"}]""", "volumes[0].name" },
        { """[{"name":"ok","mountPath":"/"}]""", "volumes[0].mountPath" },
        { """[{"name":"ok","mountPath":"/opt/sandboxgrains"}]""", "volumes[0].mountPath" },
        { """[{"name":"ok","mountPath":"/opt"}]""", "volumes[0].mountPath" },
        { """[{"name":"ok","mountPath":"relative"}]""", "volumes[0].mountPath" },
        { """[{"name":"ok","mountPath":"/data"},{"name":"ok","mountPath":"/other"}]""", "volumes[1].name" },
        { """[{"name":"ok","mountPath":"/data"},{"name":"ok2","mountPath":"/data/inner"}]""", "volumes[1].mountPath" },
        { """[{"name":"no-such-volume-anywhere","mountPath":"/data"}]""", "volumes[0].name" },
    };

    [Theory]
    [MemberData(nameof(BadVolumeMounts))]
    public async Task Create_WithBadVolumes_400NamingTheField_NothingCreated(string volumes, string field)
    {
        var label = $"vol-{Guid.NewGuid():N}";
        using var http = fixture.Silo.CreateClient();
        using var content = new StringContent(
            $$"""{"image":"sandboxgrains/busybox:latest","labels":{"case":"{{label}}"},"volumes":{{volumes}}}""", System.Text.Encoding.UTF8, "application/json");

        using var response = await http.PostAsync("/api/v1/sandboxes", content, Ct);

        var problem = (await response.Content.ReadFromJsonAsync<Problem>(Ct))!;
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid_request", problem.Code);
        Assert.Contains(field, problem.Detail, StringComparison.Ordinal);
        Assert.Empty(await Client.ListSandboxesAsync(new Dictionary<string, string> { ["case"] = label }, Ct));
        Assert.Empty(await Containers.WithLabelAsync("sandboxgrains.label.case", label));
    }

    [Theory]
    [InlineData("""{"name":"a/b"}""")]
    [InlineData("""{"name":""}""")]
    [InlineData("""{"name":"-leading"}""")]
    [InlineData("""{}""")]
    public async Task CreateVolume_BadName_400NamingIt(string body)
    {
        using var http = fixture.Silo.CreateClient();
        using var content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");

        using var response = await http.PostAsync("/api/v1/volumes", content, Ct);

        var problem = (await response.Content.ReadFromJsonAsync<Problem>(Ct))!;
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("name", problem.Detail, StringComparison.Ordinal);
    }
}
