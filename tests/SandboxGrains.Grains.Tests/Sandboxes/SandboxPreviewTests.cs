using SandboxGrains.Grains.Sandboxes;
using SandboxGrains.Previews;
using SandboxGrains.Sandboxes;
using Xunit;

namespace SandboxGrains.Grains.Tests.Sandboxes;

/// <summary>
/// The preview links a sandbox keeps: made, listed, revoked, limited, and dropped a day after they expire. Container
/// work is faked at <c>ISandboxContainers</c> (see <see cref="SandboxLifecycleTests"/>).
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class SandboxPreviewTests(ClusterFixture fixture)
{
    [Fact]
    public async Task CreatePreviewAsync_Port_GrantsTheLinkAndListsItWithoutTheToken()
    {
        var (grain, info) = await fixture.CreateStartedAsync();

        var issued = await grain.CreatePreviewAsync(8080, TimeSpan.FromMinutes(5));

        Assert.Equal(PreviewTokens.Hash(issued.Token), issued.Record.TokenHash);
        var grant = await fixture.Grains.GetGrain<IPreviewGrain>(issued.Record.TokenHash).GetAsync();
        Assert.Equal(new PreviewGrant(info.Id, 8080, fixture.Time.GetUtcNow(), fixture.Time.GetUtcNow() + TimeSpan.FromMinutes(5)), grant);
        Assert.Equal([issued.Record], await grain.ListPreviewsAsync());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(65536)]
    [InlineData(2280)]
    public async Task CreatePreviewAsync_NotAnAppPort_IsRefused(int port)
    {
        var (grain, _) = await fixture.CreateStartedAsync();

        var error = await Assert.ThrowsAsync<SandboxException>(() => grain.CreatePreviewAsync(port, null));

        Assert.Equal(SandboxErrorCodes.InvalidRequest, error.Code);
        Assert.Empty(await grain.ListPreviewsAsync());
    }

    [Fact]
    public async Task RevokePreviewAsync_ById_RevokesTheLinkOnce()
    {
        var (grain, _) = await fixture.CreateStartedAsync();
        var issued = await grain.CreatePreviewAsync(8080, null);

        Assert.True(await grain.RevokePreviewAsync(issued.Record.Id));

        Assert.False(await grain.RevokePreviewAsync(issued.Record.Id));
        Assert.Null(await fixture.Grains.GetGrain<IPreviewGrain>(issued.Record.TokenHash).GetAsync());
        Assert.Empty(await grain.ListPreviewsAsync());
    }

    [Fact]
    public async Task CreatePreviewAsync_AtTheLimit_IsRefused()
    {
        var (grain, _) = await fixture.CreateStartedAsync();
        for (var i = 0; i < SandboxPreviews.MaxPreviews; i++)
        {
            await grain.CreatePreviewAsync(8080, null);
        }

        var error = await Assert.ThrowsAsync<SandboxException>(() => grain.CreatePreviewAsync(8080, null));

        Assert.Equal(SandboxErrorCodes.PreviewLimitReached, error.Code);
        Assert.Equal(SandboxPreviews.MaxPreviews, (await grain.ListPreviewsAsync()).Count);
    }

    [Fact]
    public async Task CreatePreviewAsync_LinksExpiredLongerThanTheRetention_AreDroppedToMakeRoom()
    {
        var (grain, _) = await fixture.CreateStartedAsync();
        var expired = new List<IssuedPreview>();
        for (var i = 0; i < SandboxPreviews.MaxPreviews; i++)
        {
            expired.Add(await grain.CreatePreviewAsync(8080, TimeSpan.FromMinutes(1)));
        }

        fixture.Time.Advance(TimeSpan.FromMinutes(1) + SandboxPreviews.ExpiredRetention + TimeSpan.FromSeconds(1));
        var fresh = await grain.CreatePreviewAsync(8080, null);

        Assert.Equal([fresh.Record], await grain.ListPreviewsAsync());
        Assert.Null(await fixture.Grains.GetGrain<IPreviewGrain>(expired[0].Record.TokenHash).GetAsync());
    }

    [Fact]
    public async Task CreatePreviewAsync_ExpiredWithinTheRetention_StaysListed()
    {
        var (grain, _) = await fixture.CreateStartedAsync();
        var issued = await grain.CreatePreviewAsync(8080, TimeSpan.FromMinutes(1));

        fixture.Time.Advance(TimeSpan.FromMinutes(2));
        await grain.CreatePreviewAsync(8081, null);

        Assert.Contains(issued.Record, await grain.ListPreviewsAsync());
    }
}
