namespace SandboxGrains.Runners;

/// <summary>An amount of runner resources: CPU cores, memory and a sandbox count.</summary>
[GenerateSerializer, Immutable, Alias("sandboxgrains.RunnerResources")]
public sealed record RunnerResources(
    [property: Id(0)] double Cpu,
    [property: Id(1)] long MemoryMb,
    [property: Id(2)] int Sandboxes)
{
    /// <summary>Nothing at all.</summary>
    public static RunnerResources None { get; } = new(0, 0, 0);

    /// <summary>Adds two amounts.</summary>
    public RunnerResources Plus(RunnerResources other) =>
        new(Cpu + other.Cpu, MemoryMb + other.MemoryMb, Sandboxes + other.Sandboxes);

    /// <summary>Subtracts an amount, never going below zero.</summary>
    public RunnerResources Minus(RunnerResources other) =>
        new(Math.Max(0, Cpu - other.Cpu), Math.Max(0, MemoryMb - other.MemoryMb), Math.Max(0, Sandboxes - other.Sandboxes));

    /// <summary>True when every dimension of this amount is at most the other's.</summary>
    public bool FitsWithin(RunnerResources limit) =>
        Cpu <= limit.Cpu + 1e-9 && MemoryMb <= limit.MemoryMb && Sandboxes <= limit.Sandboxes;

    /// <summary>The largest share of <paramref name="total"/> this amount takes in any dimension (0 when total is empty).</summary>
    public double RatioOf(RunnerResources total) => Math.Max(
        Math.Max(Share(Cpu, total.Cpu), Share(MemoryMb, total.MemoryMb)),
        Share(Sandboxes, total.Sandboxes));

    private static double Share(double used, double total) => total <= 0 ? 1 : used / total;
}
