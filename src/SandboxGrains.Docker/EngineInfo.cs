namespace SandboxGrains.Docker;

/// <summary>The Docker engine's own numbers, which runner capacity starts from.</summary>
public sealed record EngineInfo(string Endpoint, string Version, string ApiVersion, int Cpus, long MemoryBytes);
