namespace SandboxGrains.EndToEnd.Tests;

/// <summary>A silo started with settings it must refuse: it exits with the configuration report, not a stack trace.</summary>
internal static class SiloRefusal
{
    /// <summary>Starts a silo (with no Docker engine reachable, which a refusal must not need) and returns what it printed.</summary>
    public static async Task<string> OutputAsync(Dictionary<string, string> settings, Dictionary<string, string?>? environment = null, CancellationToken cancellationToken = default)
    {
        var env = new Dictionary<string, string?>(environment ?? []) { ["DOCKER_HOST"] = "unix:///nonexistent/docker.sock" };
        await using var silo = SiloProcess.Start(settings, env);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!silo.HasExited && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100, cancellationToken);
        }

        Assert.True(silo.HasExited, "the silo should refuse to start:\n" + silo.Output);
        Assert.Contains("SandboxGrains cannot start: the configuration is not valid.", silo.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", silo.Output, StringComparison.Ordinal);
        return silo.Output;
    }
}
