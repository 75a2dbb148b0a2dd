using System.Text.Json;

namespace SandboxGrains.EndToEnd.Tests;

/// <summary>
/// The web dashboard in real Chromium against a real silo on real Docker (<c>tests/browser/dashboard-flow.mjs</c>): a
/// wrong key refused in words, sign-in, a sandbox created from the form turning <c>started</c> without a reload, a
/// command, a preview link that opens, the runners page, the delete seen live. Screenshots of every page land in
/// <c>TestResults/dashboard-screenshots/</c> for people to look at.
/// </summary>
public sealed class DashboardTests(SandboxSiloFixture fixture) : IClassFixture<SandboxSiloFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Browser_WholeFlow_SignInCreateWatchRunPreviewDelete()
    {
        Requirements.Browser();
        var screenshots = Path.Combine(RepositoryPaths.Root, "TestResults", "dashboard-screenshots");
        Directory.CreateDirectory(screenshots);
        foreach (var stale in Directory.EnumerateFiles(screenshots, "*.png"))
        {
            File.Delete(stale);
        }

        // The key goes in the environment, not the arguments: process lists show arguments to everyone on the machine.
        var flow = await ProcessRunner.RunAsync(
            "node",
            [Path.Combine(Requirements.BrowserScripts, "dashboard-flow.mjs"), fixture.Silo.BaseAddress.ToString(), screenshots],
            new Dictionary<string, string> { ["SANDBOXGRAINS_API_KEY"] = fixture.Silo.ApiKey, ["CHROMIUM"] = Requirements.ChromiumPath },
            TimeSpan.FromMinutes(4),
            Ct);

        Assert.True(flow.ExitCode == 0, $"the dashboard flow failed (exit {flow.ExitCode}):\n{flow.Stderr}\n{flow.Stdout}");
        using var summary = JsonDocument.Parse(flow.Stdout);
        Assert.True(summary.RootElement.GetProperty("ok").GetBoolean());
        foreach (var page in new[] { "sign-in-refused", "create", "sandboxes", "sandboxes-390px", "sandbox", "runners" })
        {
            Assert.True(File.Exists(Path.Combine(screenshots, $"{page}.png")), $"no screenshot of {page} in {screenshots}");
        }

        TestContext.Current.SendDiagnosticMessage($"dashboard screenshots: {screenshots}");
    }
}
