using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;

namespace SandboxGrains.EndToEnd.Tests;

/// <summary>
/// Two real registries (Debian's docker-registry with htpasswd) and a silo whose configuration has the right credentials
/// for one and a wrong password for the other. Images the tests push there exist nowhere else on the engine.
/// </summary>
public sealed class ImagePullFixture : IAsyncLifetime
{
    public const string User = "puller";

    public RegistryServer Registry { get; private set; } = null!;

    /// <summary>A registry the silo is configured for with a wrong password.</summary>
    public RegistryServer Guarded { get; private set; } = null!;

    public SiloProcess Silo { get; private set; } = null!;

    public SandboxGrainsHttpClient Client { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        await Requirements.DockerAsync();
        Registry = await RegistryServer.StartAsync(User, $"right-{Guid.NewGuid():N}");
        Guarded = await RegistryServer.StartAsync(User, $"right-{Guid.NewGuid():N}");
        Silo = SiloProcess.Start(new Dictionary<string, string>
        {
            ["Runner:CpuOvercommit"] = "32",
            [$"Registries:{Registry.Host}:Username"] = User,
            [$"Registries:{Registry.Host}:Password"] = Registry.Password!,
            [$"Registries:{Guarded.Host}:Username"] = User,
            [$"Registries:{Guarded.Host}:Password"] = "not-the-password",

            // Snapshots go to the registry that refuses this silo's password: every push fails.
            ["Snapshots:Registry"] = Guarded.Host,
        });
        await Silo.WaitUntilAsync("/readyz", TimeSpan.FromSeconds(60));
        Client = SandboxGrainsHttpClient.Create(Silo.BaseAddress, Silo.ApiKey);
    }

    public async ValueTask DisposeAsync()
    {
        if (Silo is not null)
        {
            await Silo.DisposeAsync();
        }

        // What the tests pulled goes with them.
        var pulled = await ProcessRunner.RunAsync("docker", ["images", "--format", "{{.Repository}}:{{.Tag}}"]);
        foreach (var image in pulled.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
                     .Where(i => Registry is not null && i.StartsWith(Registry.Host, StringComparison.Ordinal)))
        {
            await ProcessRunner.RunAsync("docker", ["rmi", "--force", image]);
        }

        if (Registry is not null)
        {
            await Registry.DisposeAsync();
        }

        if (Guarded is not null)
        {
            await Guarded.DisposeAsync();
        }
    }
}

/// <summary>
/// Creates from images only a registry holds: pulled on demand with progress on the record, one pull for concurrent
/// creates, and failures (a refused password, an image the registry lacks) that end in <c>error</c> with a reason a
/// person can act on and no container left behind.
/// </summary>
public sealed class ImagePullTests(ImagePullFixture fixture) : IClassFixture<ImagePullFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ImageOnlyTheRegistryHolds_TwoCreatesShareOnePull_PullingWithProgressIsSeen_BothStartWithItsFiles()
    {
        var image = await fixture.Registry.PushFreshImageAsync("pull/app", megabytes: 48);

        var first = await CreateWithoutWaitingAsync(image);
        var second = await CreateWithoutWaitingAsync(image);
        var seen = new List<Sandbox>();
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (DateTime.UtcNow < deadline)
        {
            var both = await Task.WhenAll(fixture.Client.GetSandboxAsync(first.Id, Ct), fixture.Client.GetSandboxAsync(second.Id, Ct));
            seen.AddRange(both);
            if (both.All(s => s.State is "started" or "error"))
            {
                break;
            }

            await Task.Delay(50, Ct);
        }

        try
        {
            Assert.All(new[] { first.Id, second.Id }, id => Assert.Equal("started", seen.Last(s => s.Id == id).State));
            var pulling = seen.Where(s => s.State == "pulling").ToList();
            Assert.NotEmpty(pulling);
            // Progress itself is read every half second, and a loopback pull may be over sooner: its figures are checked
            // where every engine message is seen (DockerContainerRuntimeTests); here, that the record carries it.
            Assert.All(pulling, s => Assert.NotNull(s.Pull));
            Assert.All(pulling, s => Assert.True(s.Pull!.BytesDone <= s.Pull.BytesTotal));
            Assert.DoesNotContain(seen, s => s.State != "pulling" && s.Pull is not null);

            // One pull served both creates: the runner says so once per pull it makes.
            Assert.Single(Regex.Matches(fixture.Silo.Output, $"pulling image {Regex.Escape(image)} from"));

            var marker = await fixture.Client.ExecuteAsync(second.Id, "sh -c 'cat /marker; wc -c < /blob'", cancellationToken: Ct);
            Assert.Equal(0, marker.ExitCode);
            Assert.Equal($"pulled\n{48 * 1024 * 1024}", marker.Result.Trim());
        }
        finally
        {
            await fixture.Client.DeleteSandboxAsync(first.Id, cancellationToken: Ct);
            await fixture.Client.DeleteSandboxAsync(second.Id, cancellationToken: Ct);
        }
    }

    [Fact]
    public async Task RegistryRefusesTheConfiguredPassword_CreateEndsInErrorSayingSo_NoContainerLeft()
    {
        var image = await fixture.Guarded.PushFreshImageAsync("pull/guarded", megabytes: 1);

        var created = await CreateWithoutWaitingAsync(image);
        var failed = await Eventually.WaitAsync(() => fixture.Client.GetSandboxAsync(created.Id, Ct), s => s.State is "error" or "started", TimeSpan.FromSeconds(60), "the create failing");

        try
        {
            Assert.Equal("error", failed.State);
            Assert.Contains($"registry {fixture.Guarded.Host} refused the credentials", failed.ErrorReason, StringComparison.Ordinal);
            Assert.DoesNotContain("not-the-password", failed.ErrorReason, StringComparison.Ordinal);
            Assert.DoesNotContain("not-the-password", fixture.Silo.Output, StringComparison.Ordinal);
            Assert.Empty(await Containers.WithLabelAsync("sandboxgrains.sandbox-id", created.Id));
        }
        finally
        {
            await fixture.Client.DeleteSandboxAsync(created.Id, cancellationToken: Ct);
        }
    }

    [Fact]
    public async Task ImageTheRegistryLacks_BackgroundCreateEndsInError_WaitingCreateAnswers400_NothingLeft()
    {
        var image = $"{fixture.Registry.Host}/pull/none:{Guid.NewGuid():N}";

        var created = await CreateWithoutWaitingAsync(image);
        var failed = await Eventually.WaitAsync(() => fixture.Client.GetSandboxAsync(created.Id, Ct), s => s.State is "error" or "started", TimeSpan.FromSeconds(60), "the create failing");
        try
        {
            Assert.Equal("error", failed.State);
            Assert.Contains($"image {image} not found in registry {fixture.Registry.Host}", failed.ErrorReason, StringComparison.Ordinal);
            Assert.Empty(await Containers.WithLabelAsync("sandboxgrains.sandbox-id", created.Id));
        }
        finally
        {
            await fixture.Client.DeleteSandboxAsync(created.Id, cancellationToken: Ct);
        }

        var label = $"none-{Guid.NewGuid():N}";
        using var http = fixture.Silo.CreateClient();
        using var response = await http.PostAsJsonAsync("/api/v1/sandboxes", new { image, labels = new Dictionary<string, string> { ["case"] = label } }, Ct);
        var problem = await response.Content.ReadFromJsonAsync<Problem>(Ct);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("image_not_found", problem!.Code);
        Assert.Contains("not found in registry", problem.Detail, StringComparison.Ordinal);
        Assert.Empty(await fixture.Client.ListSandboxesAsync(new Dictionary<string, string> { ["case"] = label }, Ct));
    }

    [Fact]
    public async Task ImagesList_ShowsAPulledImageAndItsUsers_DeleteIsRefusedWhileUsed_ThenRemovesIt()
    {
        var image = await fixture.Registry.PushFreshImageAsync("pull/listed", megabytes: 1);
        var sandbox = await fixture.Client.CreateSandboxAsync(new CreateSandboxRequest { Image = image, Cpu = 0.25, MemoryMb = 64 }, Ct);
        using var http = fixture.Silo.CreateClient();
        var escaped = Uri.EscapeDataString(image).Replace("%2F", "/", StringComparison.Ordinal);
        try
        {
            var listed = (await http.GetFromJsonAsync<ImageList>("/api/v1/images", Ct))!;
            var entry = Assert.Single(listed.Items, i => i.Image == image);
            Assert.Equal(fixture.Silo.RunnerId, entry.RunnerId);
            Assert.Equal([sandbox.Id], entry.UsedBy);
            Assert.NotNull(entry.LastUsedAt);
            Assert.True(entry.SizeBytes > 1024 * 1024);
            Assert.Contains(listed.Items, i => i.Image == "sandboxgrains/busybox:latest");

            using var refused = await http.DeleteAsync($"/api/v1/images/{escaped}", Ct);
            var problem = (await refused.Content.ReadFromJsonAsync<Problem>(Ct))!;
            Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
            Assert.Equal("image_in_use", problem.Code);
            Assert.Contains(sandbox.Id, problem.Detail, StringComparison.Ordinal);
        }
        finally
        {
            await fixture.Client.DeleteSandboxAsync(sandbox.Id, cancellationToken: Ct);
        }

        using (var deleted = await http.DeleteAsync($"/api/v1/images/{escaped}", Ct))
        {
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }

        Assert.NotEqual(0, (await ProcessRunner.RunAsync("docker", ["image", "inspect", image], cancellationToken: Ct)).ExitCode);
        using var again = await http.DeleteAsync($"/api/v1/images/{escaped}", Ct);
        Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
    }

    [Fact]
    public async Task SnapshotWhosePushIsRefused_FailsSayingSo_LeavesNoImageAndNoRecord()
    {
        var sandbox = await fixture.Client.CreateSandboxAsync(new CreateSandboxRequest { Image = "sandboxgrains/busybox:latest", Cpu = 0.25, MemoryMb = 64 }, Ct);
        var name = $"refused-{Guid.NewGuid():N}"[..20];
        using var http = fixture.Silo.CreateClient();
        try
        {
            using var response = await http.PostAsJsonAsync($"/api/v1/sandboxes/{sandbox.Id}/snapshots", new { name }, Ct);
            var problem = (await response.Content.ReadFromJsonAsync<Problem>(Ct))!;
            Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
            Assert.Equal("image_pull_failed", problem.Code);
            Assert.Contains($"registry {fixture.Guarded.Host} refused the credentials", problem.Detail, StringComparison.Ordinal);

            using var gone = await http.GetAsync($"/api/v1/snapshots/{name}", Ct);
            Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
            Assert.Empty(await ProcessRunner.DockerAsync("images", "-q", $"{fixture.Guarded.Host}/sandboxgrains/snapshots/{name}"));

            // The sandbox keeps serving with its own secret: the commit blanked it only in the image.
            Assert.Equal(0, (await fixture.Client.ExecuteAsync(sandbox.Id, "true", cancellationToken: Ct)).ExitCode);
        }
        finally
        {
            await fixture.Client.DeleteSandboxAsync(sandbox.Id, cancellationToken: Ct);
        }
    }

    private sealed record ImageList(IReadOnlyList<ImageEntry> Items, IReadOnlyList<string> UnreachableRunners);

    private sealed record ImageEntry(string RunnerId, string Image, long SizeBytes, DateTimeOffset? LastUsedAt, IReadOnlyList<string> UsedBy, string? Owner);

    private async Task<Sandbox> CreateWithoutWaitingAsync(string image)
    {
        using var http = fixture.Silo.CreateClient();
        using var response = await http.PostAsJsonAsync("/api/v1/sandboxes?wait=false", new { image, cpu = 0.25, memoryMb = 64 }, Ct);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(Ct));
        return (await response.Content.ReadFromJsonAsync<Sandbox>(Ct))!;
    }
}
