namespace SandboxGrains.Grains.Runners;

/// <summary>What a runner must remember across activations: which sandbox holds which resources.</summary>
[GenerateSerializer, Alias("sandboxgrains.RunnerState")]
public sealed class RunnerState
{
    [Id(0)]
    public Dictionary<string, RunnerResources> Allocations { get; set; } = [];
}
