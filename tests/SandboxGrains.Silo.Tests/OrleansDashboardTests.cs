using System.Net;
using System.Net.Http.Headers;
using System.Text;
using SandboxGrains.Testing;
using Xunit;

namespace SandboxGrains.Silo.Tests;

/// <summary>
/// Orleans' dashboard: absent unless enabled; then on a listener of its own (so no preview page shares its origin), only
/// for a holder of an API key (Bearer, or Basic as a browser sends it).
/// </summary>
public sealed class OrleansDashboardTests(SiloFixture fixture) : IClassFixture<SiloFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ByDefault_ThereIsNone()
    {
        using var client = fixture.Silo.CreateClient();
        using var response = await client.GetAsync("/orleans/", Ct);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Enabled_ItAsksABrowserForAKey_AndServesItsPagesAndDataToAKeyHolderOnly()
    {
        var dashboardPort = FreePort.Next();
        await using var silo = SiloProcess.Start(new Dictionary<string, string>
        {
            ["OrleansDashboard:Enabled"] = "true",
            ["OrleansDashboard:Url"] = $"http://127.0.0.1:{dashboardPort}",
        });
        await silo.WaitUntilAsync("/healthz", TimeSpan.FromSeconds(60), Ct);
        using var anonymous = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = new Uri($"http://127.0.0.1:{dashboardPort}") };

        // Not on the API's origin, where path-form preview pages live; and its own origin serves nothing but the dashboard.
        using (var api = silo.CreateClient())
        {
            Assert.Equal(HttpStatusCode.NotFound, (await api.GetAsync("/orleans/", Ct)).StatusCode);
        }

        using (var elsewhere = await anonymous.GetAsync("/preview/some-token/page", Ct))
        {
            Assert.Equal(HttpStatusCode.Redirect, elsewhere.StatusCode);
        }

        using var refused = await anonymous.GetAsync("/orleans/", Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal("Basic", Assert.Single(refused.Headers.WwwAuthenticate).Scheme);

        using var wrong = new HttpRequestMessage(HttpMethod.Get, "/orleans/");
        wrong.Headers.Authorization = Basic("someone", "not-the-key-0123456789");
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.SendAsync(wrong, Ct)).StatusCode);

        using var page = new HttpRequestMessage(HttpMethod.Get, "/orleans/");
        page.Headers.Authorization = Basic("anyone", silo.ApiKey);
        using var served = await anonymous.SendAsync(page, Ct);
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        Assert.Contains("Orleans Dashboard", await served.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);

        // Its data calls carry the same credentials; the API's own Bearer key works as well.
        using var bearer = new HttpClient { BaseAddress = anonymous.BaseAddress };
        bearer.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", silo.ApiKey);
        using var cluster = await bearer.GetAsync("/orleans/DashboardCounters", Ct);
        Assert.Equal(HttpStatusCode.OK, cluster.StatusCode);
        using var anonymousData = await anonymous.GetAsync("/orleans/DashboardCounters", Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymousData.StatusCode);
    }

    private static AuthenticationHeaderValue Basic(string user, string password) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));
}
