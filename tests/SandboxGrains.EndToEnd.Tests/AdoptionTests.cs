namespace SandboxGrains.EndToEnd.Tests;

/// <summary>Adopting a container started outside the cluster, with copy injection.</summary>
public sealed class AdoptionTests(SandboxSiloFixture fixture) : IClassFixture<SandboxSiloFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Adopt_ExecuteKillDaemonDelete_DaemonComesBackAndContainerSurvives()
    {
        var name = $"adopt-{Guid.NewGuid():N}"[..20];
        await ProcessRunner.DockerAsync("run", "-d", "--name", name, "sandboxgrains/base:latest", "sleep", "1d");
        try
        {
            var sandbox = await fixture.Client.AdoptSandboxAsync(name, cancellationToken: Ct);
            Assert.Equal(("started", "copy", true), (sandbox.State, sandbox.Injection, sandbox.Adopted));
            Assert.Equal("adopted", (await fixture.Client.ExecuteAsync(sandbox.Id, "echo adopted", cancellationToken: Ct)).Result.Trim());

            // Kill the daemon from inside; the grain's health check must start it again with no call from us.
            await ProcessRunner.DockerAsync("exec", name, "pkill", "-9", "-f", "/opt/sandboxgrains/sandboxd");
            await Eventually.WaitAsync(
                async () => { try { return (await fixture.Client.ExecuteAsync(sandbox.Id, "echo back", cancellationToken: Ct)).Result; } catch (SandboxGrainsException e) { return e.Message; } },
                r => r.Trim() == "back",
                TimeSpan.FromSeconds(15),
                "the killed daemon answering again");

            await fixture.Client.DeleteSandboxAsync(sandbox.Id, cancellationToken: Ct);

            Assert.Equal("running", await Containers.StatusAsync(name));
            var leftovers = await ProcessRunner.RunAsync("docker", ["exec", name, "sh", "-c", "pgrep -f /opt/sandboxgrains/sandboxd; ls /opt/sandboxgrains 2>&1"], cancellationToken: Ct);
            Assert.Contains("No such file", leftovers.Stdout, StringComparison.Ordinal);
            await Eventually.WaitAsync(
                async () => (await ProcessRunner.RunAsync("docker", ["exec", name, "pgrep", "-f", "/opt/sandboxgrains/sandboxd"], cancellationToken: Ct)).ExitCode,
                code => code == 1,
                TimeSpan.FromSeconds(5),
                "the daemon leaving the adopted container");
        }
        finally
        {
            await ProcessRunner.RunAsync("docker", ["rm", "-f", name], cancellationToken: Ct);
        }
    }

    [Fact]
    public async Task Adopt_ManagedOrMissingContainer_Refused()
    {
        var missing = await Assert.ThrowsAsync<SandboxGrainsException>(() => fixture.Client.AdoptSandboxAsync("no-such-container-anywhere", cancellationToken: Ct));
        Assert.Equal((404, "container_not_found"), (missing.Status, missing.Code));

        var sandbox = await fixture.Client.CreateSandboxAsync(new CreateSandboxRequest { Image = "sandboxgrains/busybox:latest", Cpu = 0.25, MemoryMb = 64 }, Ct);
        try
        {
            var twice = await Assert.ThrowsAsync<SandboxGrainsException>(() => fixture.Client.AdoptSandboxAsync(sandbox.ContainerId!, cancellationToken: Ct));
            Assert.Equal((409, "container_already_managed"), (twice.Status, twice.Code));

            var mount = await Assert.ThrowsAsync<SandboxGrainsException>(() => fixture.Client.AdoptSandboxAsync(sandbox.ContainerId!, "mount", Ct));
            Assert.Equal(400, mount.Status);
        }
        finally
        {
            await fixture.Client.DeleteSandboxAsync(sandbox.Id, cancellationToken: Ct);
        }
    }
}
