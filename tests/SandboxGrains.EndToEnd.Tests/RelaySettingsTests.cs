namespace SandboxGrains.EndToEnd.Tests;

/// <summary>
/// How a cluster's silos reach each other's sandboxes is set, never guessed: a runner's silo in cluster mode with
/// neither a relay secret nor reachable containers, and every malformed relay setting, are refused at start-up by name.
/// </summary>
public sealed class RelaySettingsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task RunnerSiloInClusterModeWithNeitherSecretNorReachableContainers_RefusesToStart_SayingWhatToSet()
    {
        var output = await SiloRefusal.OutputAsync(new Dictionary<string, string> { ["ConnectionStrings:redis"] = "127.0.0.1:1" }, cancellationToken: Ct);

        Assert.Contains("Cluster:Secret", output, StringComparison.Ordinal);
        Assert.Contains("Runner:ContainerNetworkReachable=true", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MalformedRelaySettings_AreRefusedByName_AndTheSecretIsNeverPrinted()
    {
        var port = FreePort.Next().ToString(System.Globalization.CultureInfo.InvariantCulture);
        var dashboardPort = FreePort.Next().ToString(System.Globalization.CultureInfo.InvariantCulture);
        var shortSecret = "short-secret-0123";
        var output = await SiloRefusal.OutputAsync(
            new Dictionary<string, string>
            {
                ["ConnectionStrings:redis"] = "127.0.0.1:1",
                ["urls"] = $"http://127.0.0.1:{port}",
                ["Cluster:Secret"] = shortSecret,
                ["Silo:InternalUrls"] = $"http://0.0.0.0:{port};ftp://relay/here;http://0.0.0.0:{dashboardPort}",
                ["OrleansDashboard:Enabled"] = "true",
                ["OrleansDashboard:Url"] = $"http://127.0.0.1:{dashboardPort}",
            },
            cancellationToken: Ct);

        Assert.Contains("Cluster:Secret must be at least 32 characters", output, StringComparison.Ordinal);
        Assert.Contains("Silo:InternalUrls 'ftp://relay/here' must be an http:// URL", output, StringComparison.Ordinal);
        Assert.Contains($"Silo:InternalUrls uses port {port}, which the API (urls) listens on", output, StringComparison.Ordinal);
        Assert.Contains($"Silo:InternalUrls uses port {dashboardPort}, which Orleans' dashboard (OrleansDashboard:Url) listens on", output, StringComparison.Ordinal);
        Assert.DoesNotContain(shortSecret, output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RelayOnAFrontEndOnlySilo_OrWithoutASecret_IsRefused()
    {
        var frontEnd = await SiloRefusal.OutputAsync(
            new Dictionary<string, string>
            {
                ["ConnectionStrings:redis"] = "127.0.0.1:1",
                ["Runner:Enabled"] = "false",
                ["Cluster:Secret"] = new string('s', 40),
                ["Silo:InternalUrls"] = "http://127.0.0.1:5999",
            },
            cancellationToken: Ct);
        Assert.Contains("this silo owns no runner", frontEnd, StringComparison.Ordinal);

        var unsigned = await SiloRefusal.OutputAsync(
            new Dictionary<string, string>
            {
                ["ConnectionStrings:redis"] = "127.0.0.1:1",
                ["Runner:ContainerNetworkReachable"] = "true",
                ["Silo:InternalUrls"] = "http://127.0.0.1:5999",
            },
            cancellationToken: Ct);
        Assert.Contains("only takes requests signed with Cluster:Secret", unsigned, StringComparison.Ordinal);
    }
}
