using Microsoft.Extensions.DependencyInjection;
using SandboxGrains.Grains.Routing;
using SandboxGrains.Previews;
using SandboxGrains.Sandboxes;
using Xunit;

namespace SandboxGrains.Grains.Tests;

/// <summary>The per-silo route caches and the grain service that keeps them true, on a real two-silo cluster.</summary>
[Collection(ClusterCollection.Name)]
public sealed class RouteInvalidationTests(ClusterFixture fixture)
{
    private static readonly PreviewGrant Grant = new("sandbox0000000001", 8080, DateTimeOffset.UnixEpoch, null);

    private IReadOnlyList<RouteCache> Caches => [.. fixture.Cluster.Silos.Select(s => s.ServiceProvider.GetRequiredService<RouteCache>())];

    [Fact]
    public async Task RevokingAPreview_DropsItFromEverySilosCache()
    {
        var tokenHash = PreviewTokens.Hash(PreviewTokens.New());
        Assert.Equal(2, Caches.Count);
        foreach (var cache in Caches)
        {
            await cache.GetGrantAsync(tokenHash, () => Task.FromResult<PreviewGrant?>(Grant));
            Assert.Equal(0, await CountFetchesAsync(cache, tokenHash));
        }

        await fixture.Grains.GetGrain<IPreviewGrain>(tokenHash).RevokeAsync(TestContext.Current.CancellationToken);

        foreach (var cache in Caches)
        {
            Assert.Equal(1, await CountFetchesAsync(cache, tokenHash));
        }
    }

    [Fact]
    public async Task ALookupThatRacedANotice_DoesNotStoreItsStaleAnswer()
    {
        var cache = Caches[0];
        var tokenHash = PreviewTokens.Hash(PreviewTokens.New());
        var answer = new TaskCompletionSource<PreviewGrant?>();

        var lookup = cache.GetGrantAsync(tokenHash, () => answer.Task).AsTask();
        cache.ForgetGrant(tokenHash);
        answer.SetResult(Grant);

        Assert.Equal(Grant, await lookup);
        Assert.Equal(1, await CountFetchesAsync(cache, tokenHash));
    }

    [Fact]
    public async Task SandboxChanges_DropTheEndpointEverywhere_OtherEntriesStay()
    {
        var changed = new DaemonEndpoint(SandboxState.Started, "10.0.0.1:2280", "secret", "r1");
        foreach (var cache in Caches)
        {
            await cache.GetEndpointAsync("changed", () => Task.FromResult(changed));
            await cache.GetEndpointAsync("untouched", () => Task.FromResult(changed));
        }

        var invalidation = fixture.Cluster.Silos[0].ServiceProvider.GetRequiredService<RouteInvalidation>();
        await invalidation.SandboxChangedAsync("changed");

        foreach (var cache in Caches)
        {
            var fetched = new List<string>();
            await cache.GetEndpointAsync("changed", () => { fetched.Add("changed"); return Task.FromResult(changed); });
            await cache.GetEndpointAsync("untouched", () => { fetched.Add("untouched"); return Task.FromResult(changed); });
            Assert.Equal(["changed"], fetched);
        }
    }

    private static async Task<int> CountFetchesAsync(RouteCache cache, string tokenHash)
    {
        var fetches = 0;
        await cache.GetGrantAsync(tokenHash, () => { fetches++; return Task.FromResult<PreviewGrant?>(Grant); });
        return fetches;
    }
}
