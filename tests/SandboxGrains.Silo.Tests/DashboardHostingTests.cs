using System.Net;
using System.Text.Json;
using SandboxGrains.Silo.Dashboard;
using SandboxGrains.Testing;
using Xunit;

namespace SandboxGrains.Silo.Tests;

/// <summary>
/// The dashboard takes <c>/</c> and <c>/dashboard/…</c> only, with its security headers, and leaves every other path
/// answering as before. No Docker needed: the page is served whether or not a runner is ready.
/// </summary>
public sealed class DashboardHostingTests(SiloFixture fixture) : IClassFixture<SiloFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("/", "text/html")]
    [InlineData("/dashboard/app.js", "text/javascript")]
    [InlineData("/dashboard/app.css", "text/css")]
    public async Task DashboardFiles_NoKey_ServedWithStrictHeaders(string path, string mediaType)
    {
        using var client = fixture.Silo.CreateClient(authenticated: false);

        using var response = await client.GetAsync(path, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(mediaType, response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(DashboardHosting.ContentSecurityPolicy, string.Join(", ", response.Headers.GetValues("Content-Security-Policy")));
        Assert.Contains("default-src 'self'", DashboardHosting.ContentSecurityPolicy, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-inline", DashboardHosting.ContentSecurityPolicy, StringComparison.Ordinal);
        Assert.Equal("nosniff", Header(response, "X-Content-Type-Options"));
        Assert.Equal("no-referrer", Header(response, "Referrer-Policy"));
        Assert.Equal("DENY", Header(response, "X-Frame-Options"));
        Assert.True(response.Headers.CacheControl?.NoCache);
    }

    [Fact]
    public async Task Root_Html_LoadsOnlyItsOwnFilesAndNothingInline()
    {
        using var client = fixture.Silo.CreateClient(authenticated: false);

        var html = await client.GetStringAsync("/", Ct);

        Assert.Contains("<script type=\"module\" src=\"/dashboard/app.js\"></script>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("style=", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<style", html, StringComparison.Ordinal);
        Assert.DoesNotContain("onclick", html, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("/dashboard/no-such-file.js")]
    [InlineData("/dashboard/")]
    [InlineData("/index.html")]
    [InlineData("/no-such-page")]
    public async Task OtherPaths_StillNotFound(string path)
    {
        using var client = fixture.Silo.CreateClient(authenticated: false);

        using var response = await client.GetAsync(path, Ct);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.False(response.Headers.Contains("Content-Security-Policy"));
    }

    [Fact]
    public async Task UnknownApiRoute_StillA404ProblemWithItsCode()
    {
        using var client = fixture.Silo.CreateClient();

        using var response = await client.GetAsync("/api/v1/dashboard", Ct);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        Assert.Equal("route_not_found", problem.RootElement.GetProperty("code").GetString());
    }

    private static string Header(HttpResponseMessage response, string name) => string.Join(", ", response.Headers.GetValues(name));
}
