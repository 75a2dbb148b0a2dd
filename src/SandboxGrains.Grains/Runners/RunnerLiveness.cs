using Orleans.Runtime.MembershipService.SiloMetadata;

namespace SandboxGrains.Grains.Runners;

/// <summary>
/// Whether a runner's silo is in the cluster right now, read from this silo's own membership view: no grain call, and
/// it turns false as soon as the cluster declares that silo dead (about a second after a SIGKILL), long before the
/// runner's heartbeat would be missed.
/// </summary>
internal sealed class RunnerLiveness(ISiloMetadataCache metadata, IClusterMembershipService membership)
{
    public bool HasLiveSilo(string runnerId) => RunnerSiloMetadata.FindOwner(
        metadata,
        runnerId,
        membership.CurrentSnapshot.Members.Values.Where(m => m.Status == SiloStatus.Active).Select(m => m.SiloAddress)) is not null;
}
