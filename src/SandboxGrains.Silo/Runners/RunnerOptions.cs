using System.Text.RegularExpressions;

namespace SandboxGrains.Silo.Runners;

/// <summary>The runner this silo owns: its local Docker engine (section <c>Runner</c>).</summary>
public sealed partial class RunnerOptions
{
    public const string SectionName = "Runner";

    /// <summary>False makes a front-end/API-only silo that owns no Docker engine.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Runner id; default the machine name, lowercased.</summary>
    public string Id { get; set; } = DefaultId();

    /// <summary>CPU cores offered per physical core (sandboxes rarely use all they are given).</summary>
    public double CpuOvercommit { get; set; } = 4;

    /// <summary>Memory offered per byte of physical memory.</summary>
    public double MemoryOvercommit { get; set; } = 1;

    /// <summary>Most sandboxes this runner holds at once.</summary>
    public int MaxSandboxes { get; set; } = 100;

    /// <summary>How often the silo reports this runner's health to its grain.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(5);

    [GeneratedRegex("^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")]
    internal static partial Regex IdPattern();

    private static string DefaultId()
    {
        var id = NotDnsSafe().Replace(Environment.MachineName.ToLowerInvariant(), "-").Trim('-');
        return id.Length is > 0 and <= 63 ? id : "local";
    }

    [GeneratedRegex("[^a-z0-9-]+")]
    private static partial Regex NotDnsSafe();
}

internal sealed class RunnerOptionsValidator : IValidateOptions<RunnerOptions>
{
    public ValidateOptionsResult Validate(string? name, RunnerOptions options)
    {
        var failures = new List<string>();
        if (!RunnerOptions.IdPattern().IsMatch(options.Id ?? ""))
        {
            failures.Add($"Runner:Id '{options.Id}' must be 1-63 lowercase letters, digits or '-', starting and ending with a letter or digit.");
        }

        if (options.CpuOvercommit is <= 0 or > 100)
        {
            failures.Add($"Runner:CpuOvercommit {options.CpuOvercommit} must be above 0 and at most 100.");
        }

        if (options.MemoryOvercommit is <= 0 or > 100)
        {
            failures.Add($"Runner:MemoryOvercommit {options.MemoryOvercommit} must be above 0 and at most 100.");
        }

        if (options.MaxSandboxes < 1)
        {
            failures.Add($"Runner:MaxSandboxes {options.MaxSandboxes} must be at least 1.");
        }

        if (options.HeartbeatInterval < TimeSpan.FromMilliseconds(200) || options.HeartbeatInterval > TimeSpan.FromSeconds(5))
        {
            failures.Add($"Runner:HeartbeatInterval {options.HeartbeatInterval} must be between 00:00:00.2 and 00:00:05 (runners without a heartbeat for 15 s count as unreachable).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
