using System.Net;

namespace SandboxGrains.EndToEnd.Tests;

/// <summary>
/// Seed 002's <c>security.enabled: false</c>: honoured on a loopback listener (no key asked there), refused at start-up
/// with any other listener. Host mode is the target because it needs no Docker engine.
/// </summary>
public sealed class Seed002SecurityTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task SecurityDisabled_OnALoopbackListener_NeedsNoKey()
    {
        await using var silo = SiloProcess.Start(
            new Dictionary<string, string> { ["daemon-mode"] = "host", ["Daemon:Port"] = FreePort.Next().ToString(System.Globalization.CultureInfo.InvariantCulture) },
            new Dictionary<string, string?> { ["SECURITY_ENABLED"] = "false", ["DOCKER_HOST"] = "unix:///nonexistent/docker.sock" });
        await silo.WaitUntilAsync("/health", TimeSpan.FromSeconds(60), Ct);
        Assert.Contains("No API key is asked of requests on loopback (seed 002's security.enabled: false)", silo.Output, StringComparison.Ordinal);

        using var anonymous = silo.CreateClient(authenticated: false);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/daemon/status", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/api/v1/sandboxes", Ct)).StatusCode);
    }

    [Fact]
    public async Task SecurityDisabled_WithANonLoopbackHost_RefusesToStart()
    {
        var output = await SiloRefusal.OutputAsync(
            new Dictionary<string, string> { ["daemon-mode"] = "host" },
            new Dictionary<string, string?> { ["SECURITY_ENABLED"] = "false", ["DAEMON_PROXY_HOST"] = "0.0.0.0", ["DAEMON_PROXY_PORT"] = FreePort.Next().ToString(System.Globalization.CultureInfo.InvariantCulture) },
            Ct);
        Assert.Contains("security.enabled: false (SECURITY_ENABLED=false, Api:KeyOptionalOnLoopback) turns the API key off, which is only honoured when the silo listens on loopback alone", output, StringComparison.Ordinal);
    }
}
