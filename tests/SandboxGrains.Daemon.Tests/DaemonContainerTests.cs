using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using SandboxGrains.Testing;
using Xunit;

namespace SandboxGrains.Daemon.Tests;

/// <summary>The bundle in other images, and sandboxd's life as a container's init.</summary>
public sealed class DaemonContainerTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Bundle_InDebianBaseImage_AnswersAndRunsPython()
    {
        await using var container = await DaemonContainer.StartAsync("sandboxgrains/base:latest");
        using var client = container.CreateClient();

        using var response = await client.PostAsJsonAsync("/process/execute", new { command = "python3 -c 'print(6 * 7)'" }, Ct);

        var body = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal(0, body.GetProperty("exitCode").GetInt32());
        Assert.Equal("42\n", body.GetProperty("result").GetString());
        using var anonymous = container.CreateClient(withToken: false);
        using var refused = await anonymous.GetAsync("/version", Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
    }

    [Fact]
    public async Task Sigterm_EndsTheContainerCleanly_NotByKill()
    {
        await using var container = await DaemonContainer.StartAsync("sandboxgrains/busybox:latest", "sleep", "600");

        // docker stop sends SIGTERM and waits up to 30 s before SIGKILL; a clean exit code shows SIGTERM was handled
        // (forwarded to the child, daemon stopped) rather than the container being killed (137).
        await ProcessRunner.DockerAsync("stop", "-t", "30", container.Name);

        Assert.Equal("0", await ProcessRunner.DockerAsync("inspect", "--format", "{{.State.ExitCode}}", container.Name));
    }
}
