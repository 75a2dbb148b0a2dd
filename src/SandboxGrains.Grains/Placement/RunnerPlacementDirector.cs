using Orleans.Runtime.MembershipService.SiloMetadata;
using Orleans.Runtime.Placement;
using SandboxGrains.Grains.Runners;

namespace SandboxGrains.Grains.Placement;

/// <summary>
/// Picks the silo whose metadata names the grain's key as its runner. When no live silo owns the runner (it is down, or
/// its metadata has not reached this silo yet) the grain goes to any compatible silo so capacity and health can still be
/// read; <see cref="RunnerGrain"/> notices it is on the wrong silo and deactivates, so the next call lands right.
/// </summary>
internal sealed class RunnerPlacementDirector(ISiloMetadataCache metadata, LocalRunner local) : IPlacementDirector
{
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        var runnerId = target.GrainIdentity.Key.ToString();
        if (runnerId == local.RunnerId)
        {
            return Task.FromResult(context.LocalSilo);
        }

        var silos = context.GetCompatibleSilos(target);
        if (RunnerSiloMetadata.FindOwner(metadata, runnerId, silos) is { } owner)
        {
            return Task.FromResult(owner);
        }

        return Task.FromResult(silos.Contains(context.LocalSilo) ? context.LocalSilo : silos[Random.Shared.Next(silos.Length)]);
    }
}
