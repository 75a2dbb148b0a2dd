using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using SandboxGrains.Testing;
using Xunit;

namespace SandboxGrains.Silo.Tests;

public sealed class SiloStartupTests(SiloFixture fixture) : IClassFixture<SiloFixture>
{
    [Fact]
    public async Task Healthz_ProcessUp_Is200()
    {
        using var client = fixture.Silo.CreateClient(authenticated: false);

        using var response = await client.GetAsync("/healthz", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Readyz_DockerUp_Is200WithHealthyRunner()
    {
        await Requirements.DockerAsync();
        await fixture.Silo.WaitUntilAsync("/readyz", TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        using var client = fixture.Silo.CreateClient(authenticated: false);

        using var ready = await client.GetFromJsonAsync<JsonDocument>("/readyz", TestContext.Current.CancellationToken);

        Assert.Equal("ready", ready!.RootElement.GetProperty("status").GetString());
        Assert.Equal(fixture.Silo.RunnerId, ready.RootElement.GetProperty("runner").GetProperty("id").GetString());
        Assert.Equal("healthy", ready.RootElement.GetProperty("runner").GetProperty("status").GetString());
    }

    [Fact]
    public async Task Api_WithoutKey_Is401Problem()
    {
        using var client = fixture.Silo.CreateClient(authenticated: false);

        using var response = await client.GetAsync("/api/v1/runners", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal("unauthorized", problem.RootElement.GetProperty("code").GetString());
        Assert.Equal(401, problem.RootElement.GetProperty("status").GetInt32());
    }

    [Theory]
    [InlineData("Authorization", "Bearer wrong-key-0123456789abcdef")]
    [InlineData("X-API-Key", "wrong-key-0123456789abcdef")]
    [InlineData("Authorization", "Basic dGVzdDp0ZXN0")]
    public async Task Api_WrongKey_Is401(string header, string value)
    {
        using var client = fixture.Silo.CreateClient(authenticated: false);
        client.DefaultRequestHeaders.TryAddWithoutValidation(header, value);

        using var response = await client.GetAsync("/api/v1/runners", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Api_WithBearerKey_ListsThisSilosRunner()
    {
        await Requirements.DockerAsync();
        await fixture.Silo.WaitUntilAsync("/readyz", TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        using var client = fixture.Silo.CreateClient();

        using var runners = await client.GetFromJsonAsync<JsonDocument>("/api/v1/runners", TestContext.Current.CancellationToken);

        var runner = Assert.Single(runners!.RootElement.GetProperty("items").EnumerateArray(),
            r => r.GetProperty("id").GetString() == fixture.Silo.RunnerId);
        Assert.Equal("healthy", runner.GetProperty("status").GetString());
        Assert.True(runner.GetProperty("capacity").GetProperty("cpu").GetDouble() > 0);
        Assert.True(runner.GetProperty("capacity").GetProperty("memoryMb").GetInt64() > 0);
    }

    [Fact]
    public async Task Api_WithXApiKeyHeader_IsAccepted()
    {
        using var client = fixture.Silo.CreateClient(authenticated: false);
        client.DefaultRequestHeaders.Add("X-API-Key", fixture.Silo.ApiKey);

        using var response = await client.GetAsync("/api/v1/runners", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Api_UnknownRoute_Is404ProblemWithCode()
    {
        using var client = fixture.Silo.CreateClient();

        using var response = await client.GetAsync("/api/v1/nothing-here", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal("route_not_found", problem.RootElement.GetProperty("code").GetString());
    }

    [Fact]
    public void Output_NeverContainsTheApiKey()
    {
        Assert.DoesNotContain(fixture.Silo.ApiKey, fixture.Silo.Output, StringComparison.Ordinal);
    }
}

public sealed class HttpClientTests(SiloFixture fixture) : IClassFixture<SiloFixture>
{
    [Fact]
    public async Task ListRunners_ThroughTheTypedClient_FindsThisSilosRunner()
    {
        await Requirements.DockerAsync();
        await fixture.Silo.WaitUntilAsync("/readyz", TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        var client = Client.SandboxGrainsHttpClient.Create(fixture.Silo.BaseAddress, fixture.Silo.ApiKey);

        var runners = await client.ListRunnersAsync(TestContext.Current.CancellationToken);

        Assert.Contains(runners, r => r.Id == fixture.Silo.RunnerId && r.Status == "healthy");
    }

    [Fact]
    public async Task ListRunners_WrongKey_ThrowsWithTheStatusAndCode()
    {
        var client = Client.SandboxGrainsHttpClient.Create(fixture.Silo.BaseAddress, "wrong-key-0123456789abcdef");

        var error = await Assert.ThrowsAsync<Client.SandboxGrainsException>(() => client.ListRunnersAsync(TestContext.Current.CancellationToken));

        Assert.Equal((int)HttpStatusCode.Unauthorized, error.Status);
        Assert.Equal("unauthorized", error.Code);
    }
}
