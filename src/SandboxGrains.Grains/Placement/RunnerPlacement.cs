using Orleans.Placement;

namespace SandboxGrains.Grains.Placement;

/// <summary>Places a runner's grain on the silo that owns that runner's Docker engine.</summary>
[GenerateSerializer, Immutable, Alias("sandboxgrains.RunnerPlacement")]
public sealed class RunnerPlacement : PlacementStrategy
{
    internal static RunnerPlacement Instance { get; } = new();
}

/// <summary>Marks a grain whose key is a runner id and which must live on that runner's silo.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class RunnerPlacementAttribute() : PlacementAttribute(RunnerPlacement.Instance);
