namespace SandboxGrains.Runners;

/// <summary>A runner as the API shows it.</summary>
[GenerateSerializer, Immutable, Alias("sandboxgrains.RunnerInfo")]
public sealed record RunnerInfo(
    [property: Id(0)] string Id,
    [property: Id(1)] string? Endpoint,
    [property: Id(2)] string? Silo,
    [property: Id(3)] RunnerStatus Status,
    [property: Id(4)] string? StatusReason,
    [property: Id(5)] RunnerResources Capacity,
    [property: Id(6)] RunnerResources Allocated,
    [property: Id(7)] int SandboxCount,
    [property: Id(8)] DateTimeOffset? LastHeartbeat,
    [property: Id(9)] string? DockerVersion)
{
    /// <summary>Largest share of capacity already allocated, the number placement minimises.</summary>
    public double AllocationRatio => Allocated.RatioOf(Capacity);
}
