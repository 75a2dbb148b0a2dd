namespace SandboxGrains.Docker;

/// <summary>What a finished exec produced.</summary>
public sealed record ExecResult(long ExitCode, string Stdout, string Stderr);
