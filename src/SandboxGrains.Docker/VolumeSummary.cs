namespace SandboxGrains.Docker;

/// <summary>A Docker volume: its name, labels and when the engine made it.</summary>
public sealed record VolumeSummary(string Name, IReadOnlyDictionary<string, string> Labels, DateTimeOffset? CreatedAt);
