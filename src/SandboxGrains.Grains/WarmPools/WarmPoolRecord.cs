namespace SandboxGrains.Grains.WarmPools;

/// <summary>A pool's spec and the ids of its members (made for it, not yet claimed).</summary>
[GenerateSerializer, Alias("sandboxgrains.WarmPoolRecord")]
public sealed class WarmPoolRecord
{
    [Id(0)] public WarmPoolSpec? Spec { get; set; }
    [Id(1)] public DateTimeOffset CreatedAt { get; set; }
    [Id(2)] public SortedSet<string> Members { get; set; } = new(StringComparer.Ordinal);
}
