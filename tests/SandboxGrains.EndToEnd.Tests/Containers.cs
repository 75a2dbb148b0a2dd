namespace SandboxGrains.EndToEnd.Tests;

/// <summary>What Docker itself says, so tests check reality rather than the cluster's view of it.</summary>
internal static class Containers
{
    public static async Task<string[]> WithLabelAsync(string label, string value) =>
        (await ProcessRunner.DockerAsync("ps", "-aq", "--no-trunc", "--filter", $"label={label}={value}"))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public static async Task<string> StatusAsync(string container) =>
        await ProcessRunner.DockerAsync("inspect", "-f", "{{.State.Status}}", container);

    /// <summary>Whether Docker knows a container by that id or name, running or not.</summary>
    public static async Task<bool> ExistsAsync(string container) =>
        (await ProcessRunner.RunAsync("docker", ["inspect", "-f", "{{.Id}}", container])).ExitCode == 0;

    public static async Task<int> HostPidAsync(string container) =>
        int.Parse(await ProcessRunner.DockerAsync("inspect", "-f", "{{.State.Pid}}", container), System.Globalization.CultureInfo.InvariantCulture);
}
