namespace SandboxGrains.Silo.Api;

/// <summary>A list answer: <c>{items}</c>.</summary>
internal sealed record ItemsDto<T>(IReadOnlyList<T> Items);
