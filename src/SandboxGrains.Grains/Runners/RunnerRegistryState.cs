namespace SandboxGrains.Grains.Runners;

/// <summary>The ids of every runner the cluster has heard from.</summary>
[GenerateSerializer, Alias("sandboxgrains.RunnerRegistryState")]
public sealed class RunnerRegistryState
{
    [Id(0)]
    public SortedSet<string> RunnerIds { get; set; } = new(StringComparer.Ordinal);
}
