namespace SandboxGrains.Runners;

/// <summary>The wire shape of a runner (section 4 of the spec).</summary>
public sealed record RunnerDto(
    string Id,
    string? Endpoint,
    string? Silo,
    string Status,
    string? StatusReason,
    ResourcesDto Capacity,
    ResourcesDto Allocated,
    int SandboxCount,
    DateTimeOffset? LastHeartbeat,
    string? DockerVersion)
{
    public static RunnerDto From(RunnerInfo info) => new(
        info.Id,
        info.Endpoint,
        info.Silo,
        info.Status.ToString().ToLowerInvariant(),
        info.StatusReason,
        ResourcesDto.From(info.Capacity),
        ResourcesDto.From(info.Allocated),
        info.SandboxCount,
        info.LastHeartbeat,
        info.DockerVersion);
}

/// <summary>CPU cores, memory in MiB and a sandbox count.</summary>
public sealed record ResourcesDto(double Cpu, long MemoryMb, int Sandboxes)
{
    public static ResourcesDto From(RunnerResources r) => new(r.Cpu, r.MemoryMb, r.Sandboxes);
}
