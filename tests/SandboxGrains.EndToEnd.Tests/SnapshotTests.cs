using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;

namespace SandboxGrains.EndToEnd.Tests;

/// <summary>
/// Snapshots against real Docker: kept on their runner when no registry is configured, and in cluster mode pushed to a
/// real registry (htpasswd) so sandboxes start from them on both runner silos. What the sandbox wrote and installed is in
/// every sandbox made from it; its daemon secret is in none of the images.
/// </summary>
public sealed class SnapshotTests(SandboxSiloFixture fixture) : IClassFixture<SandboxSiloFixture>
{
    private const string Image = "sandboxgrains/busybox:latest";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>What the source sandbox does before its snapshot: a file written, and a program installed on the image's PATH.</summary>
    private const string Prepare =
        "sh -c 'mkdir -p /root /usr/bin && echo from-the-source > /root/data.txt && printf \"#!/bin/sh\\necho installed-tool\\n\" > /usr/bin/greet && chmod +x /usr/bin/greet'";

    [Fact]
    public async Task WithoutARegistry_SnapshotStaysOnItsRunner_CreatesFromItHaveItsFiles_BadRequestsAreRefused()
    {
        var client = fixture.Client;
        using var http = fixture.Silo.CreateClient();
        var source = await client.CreateSandboxAsync(new CreateSandboxRequest { Image = Image, Cpu = 0.25, MemoryMb = 64 }, Ct);
        var name = $"local-{Guid.NewGuid():N}"[..18];
        Sandbox? copy = null;
        var sourceDeleted = false;
        try
        {
            Assert.Equal(0, (await client.ExecuteAsync(source.Id, Prepare, cancellationToken: Ct)).ExitCode);

            using (var bad = await http.PostAsJsonAsync($"/api/v1/sandboxes/{source.Id}/snapshots", new { name = "Not A Name" }, Ct))
            {
                Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
                Assert.Equal("name", (await bad.Content.ReadFromJsonAsync<FieldProblem>(Ct))!.Field);
            }

            var snapshot = await SnapshotAsync(http, source.Id, name);
            Assert.Equal("active", snapshot.State);
            Assert.Null(snapshot.Registry);
            Assert.Equal(fixture.Silo.RunnerId, snapshot.RunnerId);
            using (var twice = await http.PostAsJsonAsync($"/api/v1/sandboxes/{source.Id}/snapshots", new { name }, Ct))
            {
                Assert.Equal(HttpStatusCode.Conflict, twice.StatusCode);
                Assert.Equal("snapshot_exists", (await twice.Content.ReadFromJsonAsync<Problem>(Ct))!.Code);
            }

            await client.DeleteSandboxAsync(source.Id, cancellationToken: Ct);
            sourceDeleted = true;

            // The image is the sandbox's, not its daemon wrapper's: the image's own command, nothing of /opt/sandboxgrains.
            var config = await ProcessRunner.DockerAsync("image", "inspect", "-f", "{{json .Config.Entrypoint}} {{json .Config.Cmd}}", snapshot.Image);
            Assert.Equal("[] [\"sh\"]", config.Replace("null", "[]", StringComparison.Ordinal));

            copy = await client.CreateSandboxAsync(new CreateSandboxRequest { Snapshot = name, Cpu = 0.25, MemoryMb = 64 }, Ct);
            Assert.Equal(name, copy.Snapshot);
            await AssertHasTheSourcesWorkAsync(client, copy.Id);

            // In copy mode too, where the daemon comes in by upload and the image's command is the container's.
            var copied = await client.CreateSandboxAsync(new CreateSandboxRequest { Snapshot = name, Cpu = 0.25, MemoryMb = 64, Injection = "copy", Cmd = ["sleep", "3600"] }, Ct);
            await AssertHasTheSourcesWorkAsync(client, copied.Id);
            await client.DeleteSandboxAsync(copied.Id, cancellationToken: Ct);

            foreach (var (body, field) in new[]
                     {
                         ((object)new { snapshot = name, image = Image }, "snapshot"),
                         (new { snapshot = "Bad Name" }, "snapshot"),
                         (new { snapshot = "no-such-snapshot" }, "snapshot"),
                     })
            {
                using var refused = await http.PostAsJsonAsync("/api/v1/sandboxes", body, Ct);
                Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
                Assert.StartsWith(field, (await refused.Content.ReadFromJsonAsync<Problem>(Ct))!.Detail, StringComparison.Ordinal);
            }
        }
        finally
        {
            if (copy is not null)
            {
                await client.DeleteSandboxAsync(copy.Id, cancellationToken: Ct);
            }

            if (!sourceDeleted)
            {
                await client.DeleteSandboxAsync(source.Id, cancellationToken: Ct);
            }
        }

        using (var deleted = await http.DeleteAsync($"/api/v1/snapshots/{name}", Ct))
        {
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }

        using var gone = await http.GetAsync($"/api/v1/snapshots/{name}", Ct);
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        Assert.Empty(await ProcessRunner.DockerAsync("images", "-q", $"sandboxgrains/snapshots/{name}"));
    }

    [Fact]
    public async Task SnapshotDeletedWhileSandboxesRunOnIt_ItsImageGoesWithTheLastOfThem()
    {
        using var http = fixture.Silo.CreateClient();
        var client = fixture.Client;
        var source = await client.CreateSandboxAsync(new CreateSandboxRequest { Image = Image, Cpu = 0.25, MemoryMb = 64 }, Ct);
        var name = $"used-{Guid.NewGuid():N}"[..16];
        var made = new List<string>();
        try
        {
            var snapshot = await SnapshotAsync(http, source.Id, name);
            made.Add((await client.CreateSandboxAsync(new CreateSandboxRequest { Snapshot = name, Cpu = 0.25, MemoryMb = 64 }, Ct)).Id);
            made.Add((await client.CreateSandboxAsync(new CreateSandboxRequest { Snapshot = name, Cpu = 0.25, MemoryMb = 64 }, Ct)).Id);
            using (var deleted = await http.DeleteAsync($"/api/v1/snapshots/{name}", Ct))
            {
                Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
            }

            // Docker keeps an image its containers use: the snapshot is gone, its image stays while they run.
            Assert.NotEmpty(await ProcessRunner.DockerAsync("images", "-q", snapshot.Image));
            await client.DeleteSandboxAsync(made[0], cancellationToken: Ct);
            Assert.NotEmpty(await ProcessRunner.DockerAsync("images", "-q", snapshot.Image));
            await client.DeleteSandboxAsync(made[1], cancellationToken: Ct);
            made.Clear();
            Assert.Empty(await ProcessRunner.DockerAsync("images", "-q", snapshot.Image));
        }
        finally
        {
            foreach (var id in made)
            {
                await client.DeleteSandboxAsync(id, cancellationToken: Ct);
            }

            await client.DeleteSandboxAsync(source.Id, cancellationToken: Ct);
            await http.DeleteAsync($"/api/v1/snapshots/{name}", Ct);
        }
    }

    [Fact]
    public async Task LocalSnapshotWhoseImageWasRemovedByHand_TurnsError_AndCreatesFromItAreRefused()
    {
        using var http = fixture.Silo.CreateClient();
        var source = await fixture.Client.CreateSandboxAsync(new CreateSandboxRequest { Image = Image, Cpu = 0.25, MemoryMb = 64 }, Ct);
        var name = $"gone-{Guid.NewGuid():N}"[..16];
        try
        {
            var snapshot = await SnapshotAsync(http, source.Id, name);
            await ProcessRunner.DockerAsync("rmi", snapshot.Image);

            using var refused = await http.PostAsJsonAsync("/api/v1/sandboxes", new { snapshot = name }, Ct);
            var problem = (await refused.Content.ReadFromJsonAsync<Problem>(Ct))!;
            Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
            Assert.Contains("is gone from runner", problem.Detail, StringComparison.Ordinal);
            Assert.Equal("error", (await http.GetFromJsonAsync<SnapshotDto>($"/api/v1/snapshots/{name}", Ct))!.State);
        }
        finally
        {
            await fixture.Client.DeleteSandboxAsync(source.Id, cancellationToken: Ct);
            await http.DeleteAsync($"/api/v1/snapshots/{name}", Ct);
        }
    }

    [Fact]
    public async Task InClusterMode_SnapshotIsPushedToTheRegistry_ThreeSandboxesStartFromItOnBothRunners_DeleteRemovesItThere()
    {
        await Requirements.RedisAsync();
        await Requirements.DockerAsync();
        await using var registry = await RegistryServer.StartAsync("snapper", $"pw-{Guid.NewGuid():N}");
        await using var cluster = new SiloCluster(Requirements.RedisEndpoint, new Dictionary<string, string>
        {
            ["Runner:CpuOvercommit"] = "32",
            ["Snapshots:Registry"] = registry.Host,
            [$"Registries:{registry.Host}:Username"] = registry.Username!,
            [$"Registries:{registry.Host}:Password"] = registry.Password!,
        });
        var a = cluster.StartSilo(runner: true);
        var b = cluster.StartSilo(runner: true);
        await Task.WhenAll(a.WaitUntilAsync("/readyz", TimeSpan.FromSeconds(90), Ct), b.WaitUntilAsync("/readyz", TimeSpan.FromSeconds(90), Ct));
        var clientA = SandboxGrainsHttpClient.Create(a.BaseAddress, a.ApiKey);
        var clientB = SandboxGrainsHttpClient.Create(b.BaseAddress, b.ApiKey);
        await Eventually.WaitAsync(() => clientA.ListRunnersAsync(Ct), runners => runners.Count(r => r.Status == "healthy") == 2, TimeSpan.FromSeconds(30), "both runners healthy");

        var source = await clientA.CreateSandboxAsync(new CreateSandboxRequest { Image = Image, Cpu = 0.25, MemoryMb = 64 }, Ct);
        Assert.Equal(0, (await clientA.ExecuteAsync(source.Id, Prepare, cancellationToken: Ct)).ExitCode);
        var name = $"team/env-{Guid.NewGuid():N}"[..20];
        using var http = a.CreateClient();
        var snapshot = await SnapshotAsync(http, source.Id, name);
        Assert.Equal("active", snapshot.State);
        Assert.Equal(registry.Host, snapshot.Registry);
        Assert.StartsWith($"{registry.Host}/sandboxgrains/snapshots/{name}:", snapshot.Image, StringComparison.Ordinal);

        // The image carries what the sandbox did, not its daemon secret.
        var secretInImage = await ProcessRunner.DockerAsync("run", "--rm", "--entrypoint", "/bin/cat", snapshot.Image, "/run/sandboxgrains/daemon-token");
        Assert.Equal("", secretInImage);
        await clientA.DeleteSandboxAsync(source.Id, cancellationToken: Ct);

        var copies = new List<Sandbox>();
        try
        {
            foreach (var client in new[] { clientA, clientB, clientA })
            {
                copies.Add(await client.CreateSandboxAsync(new CreateSandboxRequest { Snapshot = name, Cpu = 0.25, MemoryMb = 64 }, Ct));
            }

            Assert.Equal(new[] { a.RunnerId, b.RunnerId }.Order(), copies.Select(c => c.RunnerId!).Distinct().Order());
            foreach (var copy in copies)
            {
                await AssertHasTheSourcesWorkAsync(clientB, copy.Id);
            }

            // Sandboxes made from it keep running from their own copy of the image; the snapshot itself goes everywhere.
            using (var deleted = await http.DeleteAsync($"/api/v1/snapshots/{name}", Ct))
            {
                Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
            }

            using var registryHttp = new HttpClient { BaseAddress = new Uri($"http://{registry.Host}") };
            registryHttp.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue(
                "Basic", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{registry.Username}:{registry.Password}")));
            using var manifest = await registryHttp.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/v2/sandboxgrains/snapshots/{name}/manifests/{snapshot.Image.Split(':')[^1]}"), Ct);
            Assert.Equal(HttpStatusCode.NotFound, manifest.StatusCode);
            Assert.Equal("started", (await clientB.GetSandboxAsync(copies[1].Id, Ct)).State);
        }
        finally
        {
            foreach (var copy in copies)
            {
                await clientA.DeleteSandboxAsync(copy.Id, cancellationToken: Ct);
            }

            await ProcessRunner.RunAsync("docker", ["rmi", "--force", snapshot.Image], cancellationToken: Ct);
        }
    }

    private static async Task<SnapshotDto> SnapshotAsync(HttpClient http, string sandboxId, string name)
    {
        using var response = await http.PostAsJsonAsync($"/api/v1/sandboxes/{sandboxId}/snapshots", new { name }, Ct);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync(Ct));
        return (await response.Content.ReadFromJsonAsync<SnapshotDto>(Ct))!;
    }

    private static async Task AssertHasTheSourcesWorkAsync(SandboxGrainsHttpClient client, string sandboxId)
    {
        Assert.Equal("from-the-source", (await client.ExecuteAsync(sandboxId, "cat /root/data.txt", cancellationToken: Ct)).Result.Trim());
        Assert.Equal("installed-tool", (await client.ExecuteAsync(sandboxId, "greet", cancellationToken: Ct)).Result.Trim());
    }

    private sealed record SnapshotDto(string Name, string State, string Image, string RunnerId, string? Registry, string SourceSandboxId, long? SizeBytes);

    private sealed record FieldProblem(string Code, string Field);
}
