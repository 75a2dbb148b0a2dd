using SandboxGrains.Snapshots;

namespace SandboxGrains.Silo.Daytona;

/// <summary>
/// One of our snapshots as Daytona's <c>SnapshotDto</c>: the name is also its id; <c>imageName</c> is the image the
/// snapshot is; resources are not part of a snapshot here, so they are zero; size in GB.
/// </summary>
internal sealed record DaytonaSnapshot(
    string Id,
    string OrganizationId,
    bool General,
    string Name,
    string ImageName,
    string State,
    double? Size,
    IReadOnlyList<string>? Entrypoint,
    int Cpu,
    int Gpu,
    int Mem,
    int Disk,
    string? ErrorReason,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? LastUsedAt)
{
    public static DaytonaSnapshot From(SnapshotInfo info) => new(
        info.Name,
        DaytonaSandbox.Organization,
        General: false,
        info.Name,
        info.Image,
        info.State switch
        {
            SnapshotState.Active => "active",
            SnapshotState.Error => "error",
            _ => "building", // building, and pushing to the snapshot registry
        },
        info.SizeBytes / 1e9,
        Entrypoint: null,
        Cpu: 0,
        Gpu: 0,
        Mem: 0,
        Disk: 0,
        info.ErrorReason,
        info.CreatedAt,
        info.UpdatedAt,
        LastUsedAt: null);
}
