using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using SandboxGrains.Testing;
using Xunit;

namespace SandboxGrains.Silo.Tests;

/// <summary>Silos started with particular settings, one process per test.</summary>
public sealed class SiloConfigurationTests
{
    [Fact]
    public async Task Start_WithoutAnyKey_GeneratesOneStoredWithMode0600AndPrintsItOnce()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var silo = SiloProcess.Start(apiKey: null, environment: new Dictionary<string, string?> { ["SANDBOXGRAINS_API_KEY"] = null });
        await silo.WaitUntilAsync("/healthz", TimeSpan.FromSeconds(60), ct);

        var keyFile = Path.Combine(silo.DataDirectory, "api-key");
        Assert.True(File.Exists(keyFile), silo.Output);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyFile));
        var key = (await File.ReadAllTextAsync(keyFile, ct)).Trim();
        Assert.Matches("^sg_[a-z2-7]{32}$", key);
        Assert.Single(silo.Output.Split('\n'), line => line.Contains(key, StringComparison.Ordinal));

        using var client = silo.CreateClient(authenticated: false);
        client.DefaultRequestHeaders.Authorization = new("Bearer", key);
        using var response = await client.GetAsync("/api/v1/runners", ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Start_InvalidSettings_ExitsWithMessagesNamingEachSetting()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var silo = SiloProcess.Start(settings: new Dictionary<string, string>
        {
            ["Runner:CpuOvercommit"] = "0",
            ["Runner:Id"] = "Not A DNS Label",
        }, apiKey: "short");

        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!silo.HasExited && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100, ct);
        }

        Assert.True(silo.HasExited, "the silo should refuse to start:\n" + silo.Output);
        var output = silo.Output;
        Assert.Contains("cannot start: the configuration is not valid", output, StringComparison.Ordinal);
        Assert.Contains("Runner:CpuOvercommit 0 must be above 0", output, StringComparison.Ordinal);
        Assert.Contains("Runner:Id 'Not A DNS Label'", output, StringComparison.Ordinal);
        Assert.Contains("SANDBOXGRAINS_API_KEY is shorter than 16 characters", output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal); // no stack trace
    }

    [Fact]
    public async Task Readyz_DockerUnreachable_Is503SayingWhereAndWhy()
    {
        var ct = TestContext.Current.CancellationToken;
        var socket = $"/tmp/sandboxgrains-nowhere-{Guid.NewGuid():N}.sock";
        await using var silo = SiloProcess.Start(settings: new Dictionary<string, string> { ["Docker:Endpoint"] = $"unix://{socket}" });
        await silo.WaitUntilAsync("/healthz", TimeSpan.FromSeconds(60), ct);
        using var client = silo.CreateClient(authenticated: false);

        using var response = await client.GetAsync("/readyz", ct);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        using var body = await response.Content.ReadFromJsonAsync<JsonDocument>(ct);
        Assert.Equal("unready", body!.RootElement.GetProperty("status").GetString());
        var problems = body.RootElement.GetProperty("problems").EnumerateArray().Select(p => p.GetString()).ToList();
        Assert.Contains(problems, p => p!.StartsWith($"cannot reach Docker at unix://{socket}: ", StringComparison.Ordinal));
        Assert.DoesNotContain("   at ", body.RootElement.ToString(), StringComparison.Ordinal);
    }
}
