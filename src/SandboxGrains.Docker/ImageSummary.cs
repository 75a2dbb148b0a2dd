namespace SandboxGrains.Docker;

/// <summary>One image on an engine: its id, its tags (none for a dangling one), size, when it was made, and its labels.</summary>
public sealed record ImageSummary(string Id, IReadOnlyList<string> Tags, long Size, DateTime Created, IReadOnlyDictionary<string, string> Labels);
