namespace SandboxGrains.Docker;

/// <summary>A command to run inside a container with <c>docker exec</c>.</summary>
public sealed record ExecRequest(IReadOnlyList<string> Command)
{
    /// <summary>Environment variables as <c>KEY=value</c>.</summary>
    public IReadOnlyDictionary<string, string> Env { get; init; } = new Dictionary<string, string>();

    /// <summary>Working directory; null keeps the container's.</summary>
    public string? WorkingDir { get; init; }

    /// <summary>User to run as; null keeps the container's.</summary>
    public string? User { get; init; }
}
