using Microsoft.Extensions.DependencyInjection;
using Orleans.Hosting;
using Orleans.TestingHost;
using SandboxGrains.Grains.Hosting;
using SandboxGrains.Grains.Runners;
using SandboxGrains.Previews;
using SandboxGrains.Sandboxes;
using SandboxGrains.Silo.Forwarding;
using Xunit;

namespace SandboxGrains.Silo.Tests.Forwarding;

/// <summary>
/// The per-silo route caches and the grain service that keeps them true, on a real two-silo cluster: what the front end
/// cached is dropped on every silo before a revocation returns.
/// </summary>
public sealed class RouteCacheTests : IAsyncLifetime
{
    private static readonly PreviewGrant Grant = new("sandbox0000000001", 8080, DateTimeOffset.UnixEpoch, null);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private InProcessTestCluster _cluster = null!;

    private IReadOnlyList<RouteCache> Caches => [.. _cluster.Silos.Select(s => s.ServiceProvider.GetRequiredService<RouteCache>())];

    public async ValueTask InitializeAsync()
    {
        var builder = new InProcessTestClusterBuilder(2);
        builder.ConfigureSilo((_, silo) =>
        {
            silo.AddMemoryGrainStorage(StorageNames.Sandboxes);
            silo.AddMemoryGrainStorage(StorageNames.Runners);
            silo.AddSandboxGrains(new LocalRunner(null));
            silo.AddRouteCache();
        });
        _cluster = builder.Build();
        await _cluster.DeployAsync();
    }

    public async ValueTask DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task RevokingAPreview_DropsItFromEverySilosCache()
    {
        var tokenHash = PreviewTokens.Hash(PreviewTokens.New());
        Assert.Equal(2, Caches.Count);
        foreach (var cache in Caches)
        {
            await cache.GetGrantAsync(tokenHash, (_, _) => Task.FromResult<PreviewGrant?>(Grant), Ct);
            Assert.Equal(0, await CountFetchesAsync(cache, tokenHash));
        }

        await _cluster.Client.GetGrain<IPreviewGrain>(tokenHash).RevokeAsync(Ct);

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

        var lookup = cache.GetGrantAsync(tokenHash, (_, _) => answer.Task, Ct).AsTask();
        cache.ForgetGrant(tokenHash);
        answer.SetResult(Grant);

        Assert.Equal(Grant, await lookup);
        Assert.Equal(1, await CountFetchesAsync(cache, tokenHash));
    }

    [Fact]
    public async Task ForgettingASandbox_DropsItsEndpoint_OtherEntriesStay()
    {
        var cache = Caches[0];
        var endpoint = new DaemonEndpoint(SandboxState.Started, "10.0.0.1:2280", "secret", "r1");
        await cache.GetEndpointAsync("changed", (_, _) => Task.FromResult(endpoint), Ct);
        await cache.GetEndpointAsync("untouched", (_, _) => Task.FromResult(endpoint), Ct);

        cache.ForgetSandbox("changed");

        var fetched = new List<string>();
        await cache.GetEndpointAsync("changed", (_, _) => { fetched.Add("changed"); return Task.FromResult(endpoint); }, Ct);
        await cache.GetEndpointAsync("untouched", (_, _) => { fetched.Add("untouched"); return Task.FromResult(endpoint); }, Ct);
        Assert.Equal(["changed"], fetched);
    }

    private static async Task<int> CountFetchesAsync(RouteCache cache, string tokenHash)
    {
        var fetches = 0;
        await cache.GetGrantAsync(tokenHash, (_, _) => { fetches++; return Task.FromResult<PreviewGrant?>(Grant); }, Ct);
        return fetches;
    }
}
