namespace SandboxGrains.Grains.Runners;

/// <summary>What a runner must remember across activations: which sandbox holds which resources, and when each image was last used.</summary>
[GenerateSerializer, Alias("sandboxgrains.RunnerState")]
public sealed class RunnerState
{
    [Id(0)]
    public Dictionary<string, RunnerResources> Allocations { get; set; } = [];

    /// <summary>Image → when a sandbox was last created from it here. Written with the next allocation change, not on its own.</summary>
    [Id(1)]
    public Dictionary<string, DateTimeOffset> ImagesLastUsed { get; set; } = [];
}
