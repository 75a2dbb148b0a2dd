using System.Net;
using System.Net.Http.Json;
using SandboxGrains.WarmPools;

namespace SandboxGrains.EndToEnd.Tests;

/// <summary>
/// Warm pools against a real silo and Docker: pooled sandboxes handed to creates with the caller's environment, refills,
/// a dead pooled sandbox replaced rather than handed out, and a pool whole again after its silo was killed.
/// </summary>
public sealed class WarmPoolTests
{
    private const string Image = "sandboxgrains/busybox:latest";

    /// <summary>Pools review their members every second here (5 s by default), so refills show quickly.</summary>
    private static readonly Dictionary<string, string> Settings = new()
    {
        ["Runner:CpuOvercommit"] = "32",
        ["WarmPools:ReviewInterval"] = "00:00:01",
        ["WarmPools:RestartGrace"] = "00:00:15",
    };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task Pool_HandsOutDistinctStartedSandboxesWithTheCallersEnv_RefillsAndFallsBackToColdCreates()
    {
        await Requirements.DockerAsync();
        await using var silo = SiloProcess.Start(Settings);
        await silo.WaitUntilAsync("/readyz", TimeSpan.FromSeconds(60), Ct);
        var client = SandboxGrainsHttpClient.Create(silo.BaseAddress, silo.ApiKey);

        var pool = await client.CreateWarmPoolAsync(new CreateWarmPoolRequest { Image = Image, Cpu = 0.25, MemoryMb = 64, Size = 3 }, Ct);
        Assert.Equal(3, pool.Size);
        await WaitReadyAsync(client, pool.Id, 3);

        // Waiting sandboxes are nobody's: not in a plain list, listed when asked for.
        var pooled = await PooledIdsAsync(silo);
        Assert.Equal(3, pooled.Count);
        Assert.DoesNotContain(await client.ListSandboxesAsync(cancellationToken: Ct), s => pooled.Contains(s.Id));

        var claimed = new List<Sandbox>();
        for (var i = 0; i < 3; i++)
        {
            claimed.Add(await client.CreateSandboxAsync(
                new CreateSandboxRequest
                {
                    Image = Image, Cpu = 0.25, MemoryMb = 64, Name = $"agent-{i}", AutoStopMinutes = 0,
                    Env = new Dictionary<string, string> { ["GREETING"] = $"hello-{i}" },
                    Labels = new Dictionary<string, string> { ["agent"] = $"{i}" },
                },
                Ct));
        }

        Assert.All(claimed, s => Assert.Contains(s.Id, pooled));
        Assert.Equal(3, claimed.Select(s => s.Id).Distinct().Count());
        for (var i = 0; i < 3; i++)
        {
            var sandbox = claimed[i];
            Assert.Equal(("started", $"agent-{i}", $"{i}", 0), (sandbox.State, sandbox.Name, sandbox.Labels["agent"], sandbox.AutoStopMinutes));
            Assert.Null(sandbox.PoolId);
            Assert.Equal($"claimed from warm pool {pool.Id}", sandbox.LastTransition!.Reason);
            Assert.Equal($"hello-{i}", sandbox.Env["GREETING"]);

            // The caller's environment reaches commands run after the claim, though the container started before it.
            var echoed = await client.ExecuteAsync(sandbox.Id, "sh -c 'echo $GREETING'", cancellationToken: Ct);
            Assert.Equal($"hello-{i}", echoed.Result.Trim());
        }

        // The daemon's claim route is the cluster's alone: through the toolbox a caller could rewrite a claim.
        foreach (var path in new[] { "sandboxd/claim", "SANDBOXD/claim", "/sandboxd/claim", "%73andboxd/claim", "x/../sandboxd/claim" })
        {
            await AssertStatusAsync(silo, HttpMethod.Put, $"/toolbox/{claimed[0].Id}/{path}", new { env = new { GREETING = "forged" } }, HttpStatusCode.BadRequest);
        }

        Assert.Equal("hello-0", (await client.ExecuteAsync(claimed[0].Id, "sh -c 'echo $GREETING'", cancellationToken: Ct)).Result.Trim());

        Assert.Equal(3, (await client.ListSandboxesAsync(new Dictionary<string, string> { ["agent"] = "1" }, Ct)).Count
            + (await client.ListSandboxesAsync(new Dictionary<string, string> { ["agent"] = "0" }, Ct)).Count
            + (await client.ListSandboxesAsync(new Dictionary<string, string> { ["agent"] = "2" }, Ct)).Count);

        // The pool makes three new ones.
        await WaitReadyAsync(client, pool.Id, 3);
        var refilled = await PooledIdsAsync(silo);
        Assert.Equal(3, refilled.Count);
        Assert.Empty(refilled.Intersect(claimed.Select(s => s.Id)));

        // Emptied, the pool gives nothing, and a create of its kind is made cold, without an error.
        await client.ResizeWarmPoolAsync(pool.Id, 0, Ct);
        await Eventually.WaitAsync(() => PooledIdsAsync(silo), ids => ids.Count == 0, Patience, "the spares were deleted");
        var cold = await client.CreateSandboxAsync(
            new CreateSandboxRequest { Image = Image, Cpu = 0.25, MemoryMb = 64, Env = new Dictionary<string, string> { ["GREETING"] = "cold" } }, Ct);
        Assert.Equal("started", cold.State);
        Assert.DoesNotContain(cold.Id, refilled);
        Assert.Equal("cold", (await client.ExecuteAsync(cold.Id, "sh -c 'echo $GREETING'", cancellationToken: Ct)).Result.Trim());

        // Deleting the pool leaves the sandboxes it handed out: they are their callers'.
        await client.DeleteWarmPoolAsync(pool.Id, Ct);
        Assert.Equal("started", (await client.GetSandboxAsync(claimed[0].Id, Ct)).State);
        await AssertStatusAsync(silo, HttpMethod.Get, $"/api/v1/warm-pools/{pool.Id}", null, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task PooledSandboxWhoseContainerIsKilled_IsReplaced_AndNeverHandedOut()
    {
        await Requirements.DockerAsync();
        await using var silo = SiloProcess.Start(Settings);
        await silo.WaitUntilAsync("/readyz", TimeSpan.FromSeconds(60), Ct);
        var client = SandboxGrainsHttpClient.Create(silo.BaseAddress, silo.ApiKey);
        var pool = await client.CreateWarmPoolAsync(new CreateWarmPoolRequest { Image = Image, Cpu = 0.25, MemoryMb = 64, Size = 1 }, Ct);
        await WaitReadyAsync(client, pool.Id, 1);
        var victim = (await PooledIdsAsync(silo)).Single();
        var container = (await client.GetSandboxAsync(victim, Ct)).ContainerId!;

        await ProcessRunner.DockerAsync("rm", "-f", container);

        // Whatever the pool has noticed by now, a create gets a sandbox that works.
        var sandbox = await client.CreateSandboxAsync(new CreateSandboxRequest { Image = Image, Cpu = 0.25, MemoryMb = 64 }, Ct);
        Assert.NotEqual(victim, sandbox.Id);
        Assert.Equal(0, (await client.ExecuteAsync(sandbox.Id, "true", cancellationToken: Ct)).ExitCode);

        // And the pool is whole again, without the dead one.
        await WaitReadyAsync(client, pool.Id, 1);
        var replacement = await Eventually.WaitAsync(() => PooledIdsAsync(silo), ids => ids.Count == 1 && !ids.Contains(victim), Patience, "a replacement");
        Assert.DoesNotContain(sandbox.Id, replacement);
        await AssertStatusAsync(silo, HttpMethod.Get, $"/api/v1/sandboxes/{victim}", null, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task KilledAndRestartedSilo_FindsItsPoolWhole_NoDuplicatesNoOrphans_AndClaimedSandboxesKeepTheirClaim()
    {
        await Requirements.DockerAsync();
        var dataDirectory = Directory.CreateTempSubdirectory("sandboxgrains-pool-").FullName;
        var settings = new Dictionary<string, string>(Settings)
        {
            ["Runner:Id"] = $"pool-{Guid.NewGuid():N}"[..20],
            ["Silo:DataDirectory"] = dataDirectory,
        };
        try
        {
            string poolId;
            Sandbox claimed;
            var first = SiloProcess.Start(settings);
            first.KeepContainers = true;
            await using (first)
            {
                await first.WaitUntilAsync("/readyz", TimeSpan.FromSeconds(60), Ct);
                var client = SandboxGrainsHttpClient.Create(first.BaseAddress, first.ApiKey);
                poolId = (await client.CreateWarmPoolAsync(new CreateWarmPoolRequest { Image = Image, Cpu = 0.25, MemoryMb = 64, Size = 2 }, Ct)).Id;
                await WaitReadyAsync(client, poolId, 2);
                claimed = await client.CreateSandboxAsync(
                    new CreateSandboxRequest
                    {
                        Image = Image, Cpu = 0.25, MemoryMb = 64, Name = "kept", AutoStopMinutes = 0,
                        Env = new Dictionary<string, string> { ["GREETING"] = "still here" },
                    },
                    Ct);
                await WaitReadyAsync(client, poolId, 2);
                await first.KillAsync();
            }

            await using var second = SiloProcess.Start(settings);
            await second.WaitUntilAsync("/readyz", TimeSpan.FromSeconds(60), Ct);
            var again = SandboxGrainsHttpClient.Create(second.BaseAddress, second.ApiKey);
            try
            {
                await WaitReadyAsync(again, poolId, 2);

                // The pool's containers: two waiting and the one handed out; still so a few reviews later.
                Assert.Equal(3, (await PoolContainersAsync(poolId)).Count);
                await Task.Delay(TimeSpan.FromSeconds(4), Ct);
                Assert.Equal(3, (await PoolContainersAsync(poolId)).Count);
                Assert.Equal(2, (await PooledIdsAsync(second)).Count);

                // The claimed one was rebuilt from its container and its claim file: the caller's, not the pool's.
                var rebuilt = await Eventually.WaitAsync(
                    () => again.GetSandboxAsync(claimed.Id, Ct), s => s.State == "started", Patience, "the claimed sandbox is back");
                Assert.Equal(("kept", null, "still here"), (rebuilt.Name, rebuilt.PoolId, rebuilt.Env["GREETING"]));
                Assert.Equal("still here", (await again.ExecuteAsync(claimed.Id, "sh -c 'echo $GREETING'", cancellationToken: Ct)).Result.Trim());

                // Deleting the pool removes its waiting sandboxes, and only those.
                await again.DeleteWarmPoolAsync(poolId, Ct);
                Assert.Equal([claimed.ContainerId!], await PoolContainersAsync(poolId));
            }
            finally
            {
                await second.RemoveRunnerContainersAsync();
            }
        }
        finally
        {
            Directory.Delete(dataDirectory, recursive: true);
        }
    }

    [Fact]
    public async Task BadPools_AreRefusedNamingTheField_AndChangeNothing()
    {
        await Requirements.DockerAsync();
        await using var silo = SiloProcess.Start(Settings);
        await silo.WaitUntilAsync("/readyz", TimeSpan.FromSeconds(60), Ct);

        await AssertStatusAsync(silo, HttpMethod.Post, "/api/v1/warm-pools", new { image = Image, size = 1001 }, HttpStatusCode.BadRequest, "size");
        await AssertStatusAsync(silo, HttpMethod.Post, "/api/v1/warm-pools", new { image = Image, size = -1 }, HttpStatusCode.BadRequest, "size");
        await AssertStatusAsync(silo, HttpMethod.Post, "/api/v1/warm-pools", new { image = Image }, HttpStatusCode.BadRequest, "size");
        await AssertStatusAsync(silo, HttpMethod.Post, "/api/v1/warm-pools", new { image = Image, size = "three" }, HttpStatusCode.BadRequest);
        await AssertStatusAsync(silo, HttpMethod.Post, "/api/v1/warm-pools", new { image = Image, size = 1, cpu = -1 }, HttpStatusCode.BadRequest, "cpu");
        await AssertStatusAsync(silo, HttpMethod.Post, "/api/v1/warm-pools", new { image = "sandboxgrains/no-such-image:1", size = 1 }, HttpStatusCode.BadRequest, "image");
        await AssertStatusAsync(
            silo, HttpMethod.Post, "/api/v1/warm-pools", new { image = Image, size = 1000, cpu = 4, memoryMb = 8192 }, HttpStatusCode.Conflict, "size");

        var client = SandboxGrainsHttpClient.Create(silo.BaseAddress, silo.ApiKey);
        Assert.Empty(await client.ListWarmPoolsAsync(Ct));

        var pool = await client.CreateWarmPoolAsync(new CreateWarmPoolRequest { Image = Image, Cpu = 0.25, MemoryMb = 64, Size = 0 }, Ct);
        await AssertStatusAsync(silo, HttpMethod.Post, "/api/v1/warm-pools", new { image = Image, cpu = 0.25, memoryMb = 64, size = 1 }, HttpStatusCode.Conflict);
        await AssertStatusAsync(silo, HttpMethod.Patch, $"/api/v1/warm-pools/{pool.Id}", new { size = 5000 }, HttpStatusCode.BadRequest, "size");
        await AssertStatusAsync(silo, HttpMethod.Patch, $"/api/v1/warm-pools/{pool.Id}", new { size = 1000 }, HttpStatusCode.Conflict, "size");
        await AssertStatusAsync(silo, HttpMethod.Get, "/api/v1/warm-pools/pool-doesnotexist", null, HttpStatusCode.NotFound);
        await AssertStatusAsync(silo, HttpMethod.Get, "/api/v1/warm-pools/..%2F..", null, HttpStatusCode.NotFound);

        var unchanged = Assert.Single(await client.ListWarmPoolsAsync(Ct));
        Assert.Equal((pool.Id, 0), (unchanged.Id, unchanged.Size));
        Assert.Empty(await PoolContainersAsync(pool.Id));
        await client.DeleteWarmPoolAsync(pool.Id, Ct);
    }

    private static async Task WaitReadyAsync(SandboxGrainsHttpClient client, string poolId, int ready) =>
        await Eventually.WaitAsync(() => client.GetWarmPoolAsync(poolId, Ct), p => p.Ready == ready, Patience, $"pool {poolId} has {ready} ready");

    private static async Task<HashSet<string>> PooledIdsAsync(SiloProcess silo)
    {
        using var http = silo.CreateClient();
        var page = await http.GetFromJsonAsync<SandboxPage>("/api/v1/sandboxes?state=pooled", Ct);
        return [.. page!.Items.Select(s => s.Id)];
    }

    private static async Task<List<string>> PoolContainersAsync(string poolId) =>
        [.. (await ProcessRunner.DockerAsync("ps", "-aq", "--no-trunc", "--filter", $"label=sandboxgrains.pool-id={poolId}"))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];

    private static async Task AssertStatusAsync(SiloProcess silo, HttpMethod method, string path, object? body, HttpStatusCode expected, string? field = null)
    {
        using var http = silo.CreateClient();
        using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
        using var answer = await http.SendAsync(request, Ct);
        var text = await answer.Content.ReadAsStringAsync(Ct);
        Assert.True(expected == answer.StatusCode, $"{method} {path}: expected {(int)expected}, got {(int)answer.StatusCode}: {text}");
        if (field is not null)
        {
            Assert.Contains(field, text, StringComparison.Ordinal);
        }
    }
}
