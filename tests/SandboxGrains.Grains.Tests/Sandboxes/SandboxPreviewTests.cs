using SandboxGrains.Grains.Sandboxes;
using SandboxGrains.Previews;
using SandboxGrains.Sandboxes;
using Xunit;
using static SandboxGrains.Grains.Tests.Sandboxes.SandboxTestKit;

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

        var issued = await grain.CreatePreviewAsync(8080, TimeSpan.FromMinutes(5), Cancel);

        Assert.Equal(PreviewTokens.Hash(issued.Token), issued.Record.TokenHash);
        var grant = await fixture.Grains.GetGrain<IPreviewGrain>(issued.Record.TokenHash).GetAsync(Cancel);
        Assert.Equal(new PreviewGrant(info.Id, 8080, fixture.Time.GetUtcNow(), fixture.Time.GetUtcNow() + TimeSpan.FromMinutes(5)), grant);
        Assert.Equal([issued.Record], await grain.ListPreviewsAsync(Cancel));
    }

    [Fact]
    public async Task GetStandingPreviewAsync_AskedTwice_AnswersOneLinkPerPort()
    {
        var (grain, info) = await fixture.CreateStartedAsync();

        var first = await grain.GetStandingPreviewAsync(3000, Cancel);
        var again = await grain.GetStandingPreviewAsync(3000, Cancel);
        var other = await grain.GetStandingPreviewAsync(8080, Cancel);

        Assert.Equal(first.Token, again.Token);
        Assert.NotEqual(first.Token, other.Token);
        Assert.True(PreviewTokens.IsWellFormed(first.Token));
        Assert.Equal(new PreviewGrant(info.Id, 3000, first.Record.Grant.CreatedAt, null),
            await fixture.Grains.GetGrain<IPreviewGrain>(PreviewTokens.Hash(first.Token)).GetAsync(Cancel));
        Assert.Equal(2, (await grain.ListPreviewsAsync(Cancel)).Count);
    }

    [Fact]
    public async Task GetStandingPreviewAsync_AfterRevoke_GrantsItAgain()
    {
        var (grain, _) = await fixture.CreateStartedAsync();
        var first = await grain.GetStandingPreviewAsync(3000, Cancel);
        await grain.RevokePreviewAsync(first.Record.Id, Cancel);

        var again = await grain.GetStandingPreviewAsync(3000, Cancel);

        Assert.Equal(first.Token, again.Token);
        Assert.NotNull(await fixture.Grains.GetGrain<IPreviewGrain>(again.Record.TokenHash).GetAsync(Cancel));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(65536)]
    [InlineData(2280)]
    public async Task CreatePreviewAsync_NotAnAppPort_IsRefused(int port)
    {
        var (grain, _) = await fixture.CreateStartedAsync();

        var error = await Assert.ThrowsAsync<SandboxException>(() => grain.CreatePreviewAsync(port, null, Cancel));

        Assert.Equal(SandboxErrorCodes.InvalidRequest, error.Code);
        Assert.Empty(await grain.ListPreviewsAsync(Cancel));
    }

    [Fact]
    public async Task RevokePreviewAsync_ById_RevokesTheLinkOnce()
    {
        var (grain, _) = await fixture.CreateStartedAsync();
        var issued = await grain.CreatePreviewAsync(8080, null, Cancel);

        Assert.True(await grain.RevokePreviewAsync(issued.Record.Id, Cancel));

        Assert.False(await grain.RevokePreviewAsync(issued.Record.Id, Cancel));
        Assert.Null(await fixture.Grains.GetGrain<IPreviewGrain>(issued.Record.TokenHash).GetAsync(Cancel));
        Assert.Empty(await grain.ListPreviewsAsync(Cancel));
    }

    [Fact]
    public async Task RevokeAndStop_TellEverySilosFrontEnd_BeforeTheyReturn()
    {
        var (grain, info) = await fixture.CreateStartedAsync();
        var issued = await grain.CreatePreviewAsync(8080, null, Cancel);

        await grain.RevokePreviewAsync(issued.Record.Id, Cancel);
        Assert.Equal(2, fixture.RouteChanges.SilosToldAbout("preview", issued.Record.TokenHash).Count);

        await grain.StopAsync(Cancel);
        Assert.Equal(2, fixture.RouteChanges.SilosToldAbout("sandbox", info.Id).Count);
    }

    [Fact]
    public async Task CreatePreviewAsync_AtTheLimit_IsRefused()
    {
        var (grain, _) = await fixture.CreateStartedAsync();
        for (var i = 0; i < SandboxPreviews.MaxPreviews; i++)
        {
            await grain.CreatePreviewAsync(8080, null, Cancel);
        }

        var error = await Assert.ThrowsAsync<SandboxException>(() => grain.CreatePreviewAsync(8080, null, Cancel));

        Assert.Equal(SandboxErrorCodes.PreviewLimitReached, error.Code);
        Assert.Equal(SandboxPreviews.MaxPreviews, (await grain.ListPreviewsAsync(Cancel)).Count);
    }

    [Fact]
    public async Task CreatePreviewAsync_LinksExpiredLongerThanTheRetention_AreDroppedToMakeRoom()
    {
        var (grain, _) = await fixture.CreateStartedAsync();
        var expired = new List<IssuedPreview>();
        for (var i = 0; i < SandboxPreviews.MaxPreviews; i++)
        {
            expired.Add(await grain.CreatePreviewAsync(8080, TimeSpan.FromMinutes(1), Cancel));
        }

        fixture.Time.Advance(TimeSpan.FromMinutes(1) + SandboxPreviews.ExpiredRetention + TimeSpan.FromSeconds(1));
        var fresh = await grain.CreatePreviewAsync(8080, null, Cancel);

        Assert.Equal([fresh.Record], await grain.ListPreviewsAsync(Cancel));
        Assert.Null(await fixture.Grains.GetGrain<IPreviewGrain>(expired[0].Record.TokenHash).GetAsync(Cancel));
    }

    [Fact]
    public async Task CreatePreviewAsync_ExpiredWithinTheRetention_StaysListed()
    {
        var (grain, _) = await fixture.CreateStartedAsync();
        var issued = await grain.CreatePreviewAsync(8080, TimeSpan.FromMinutes(1), Cancel);

        fixture.Time.Advance(TimeSpan.FromMinutes(2));
        await grain.CreatePreviewAsync(8081, null, Cancel);

        Assert.Contains(issued.Record, await grain.ListPreviewsAsync(Cancel));
    }
}
