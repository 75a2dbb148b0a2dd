namespace SandboxGrains.EndToEnd.Tests;

/// <summary>
/// compose.yaml really comes up here (issue 6): the silo and Redis images built without a registry, Debian's
/// docker-compose, and a round trip through all three silos (<c>tools/compose-smoke.sh</c> says what it checks).
/// </summary>
public sealed class ComposeTests
{
    [Fact]
    public async Task Compose_RedisTwoRunnerSilosAndAFrontEnd_ComeUpAndServeTheWholeRoundTrip()
    {
        await Requirements.DockerAsync();
        var tools = Path.Combine(RepositoryPaths.Root, "tools");
        var built = await ProcessRunner.RunAsync("bash", [Path.Combine(tools, "build-images.sh"), "silo", "redis"], TimeSpan.FromMinutes(10), TestContext.Current.CancellationToken);
        Assert.True(built.ExitCode == 0, $"building the images failed:\n{built.Stdout}\n{built.Stderr}");

        var smoke = await ProcessRunner.RunAsync("bash", [Path.Combine(tools, "compose-smoke.sh")], TimeSpan.FromMinutes(5), TestContext.Current.CancellationToken);

        Assert.True(smoke.ExitCode == 0, $"the compose round trip failed:\n{smoke.Stdout}\n{smoke.Stderr}");
        Assert.Contains("compose: ok", smoke.Stdout, StringComparison.Ordinal);
    }
}
