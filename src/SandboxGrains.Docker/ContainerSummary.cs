namespace SandboxGrains.Docker;

/// <summary>One row of a container listing.</summary>
public sealed record ContainerSummary(string Id, string Name, string Image, string State, IReadOnlyDictionary<string, string> Labels);
