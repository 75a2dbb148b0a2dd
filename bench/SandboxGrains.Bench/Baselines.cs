using System.Diagnostics;
using SandboxGrains.Testing;

namespace SandboxGrains.Bench;

/// <summary>
/// The plain-Docker baselines the suites compare with: what a user would do without us, using the same image and
/// limits. Every container made here is named <c>sandboxgrains-bench-…</c> and removed by the caller.
/// </summary>
internal static class Baselines
{
    public const string Prefix = "sandboxgrains-bench-";

    public static string NewName() => $"{Prefix}{Guid.NewGuid():N}"[..32];

    /// <summary>
    /// <c>docker run -d</c> of busybox with the limits our sandboxes get, then <c>docker exec true</c> until it works; on
    /// Docker's default bridge unless a <paramref name="network"/> is named.
    /// </summary>
    public static async Task<(string Name, TimeSpan Elapsed)> RunUntilExecWorksAsync(double cpus, int memoryMb, string? network = null)
    {
        var name = NewName();
        var clock = Stopwatch.StartNew();
        string[] onNetwork = network is null ? [] : ["--network", network];
        await ProcessRunner.DockerAsync(
            ["run", "-d", "--name", name, "--cpus", cpus.ToString(System.Globalization.CultureInfo.InvariantCulture), "--memory", $"{memoryMb}m",
             .. onNetwork, "sandboxgrains/busybox:latest", "sleep", "3600"]);
        await WaitUntilExecWorksAsync(name, clock);
        return (name, clock.Elapsed);
    }

    /// <summary>Tries <c>docker exec true</c> in a container just started until it works (30 s on <paramref name="clock"/> at most).</summary>
    public static async Task WaitUntilExecWorksAsync(string name, Stopwatch clock)
    {
        while ((await ProcessRunner.RunAsync("docker", ["exec", name, "true"])).ExitCode != 0)
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(30))
            {
                throw new TimeoutException($"docker exec into {name} did not work within 30 s");
            }
        }
    }

    /// <summary>Removes containers this harness made (by name), a batch at a time.</summary>
    public static async Task RemoveAsync(IEnumerable<string> names)
    {
        foreach (var batch in names.Chunk(50))
        {
            await ProcessRunner.RunAsync("docker", ["rm", "-f", .. batch], TimeSpan.FromMinutes(2));
        }
    }

    /// <summary>
    /// A bridge network whose containers cannot reach each other, as our sandboxes' is: Docker sets one up per container
    /// (its embedded DNS among others), which the default bridge does not, so it is the baseline for what isolation costs.
    /// </summary>
    public static async Task<string> CreateIsolatedNetworkAsync()
    {
        var name = NewName();
        await ProcessRunner.DockerAsync("network", "create", "-o", "com.docker.network.bridge.enable_icc=false", name);
        return name;
    }

    public static Task RemoveNetworkAsync(string name) => ProcessRunner.RunAsync("docker", ["network", "rm", name]);
}
