namespace SandboxGrains.Docker;

/// <summary>What an image says about how to run it.</summary>
public sealed record ImageDetails(
    string Id,
    IReadOnlyList<string> Entrypoint,
    IReadOnlyList<string> Cmd,
    string? WorkingDir,
    string? User,
    IReadOnlyList<string> Env,
    IReadOnlyDictionary<string, string>? Labels = null,
    long Size = 0);
