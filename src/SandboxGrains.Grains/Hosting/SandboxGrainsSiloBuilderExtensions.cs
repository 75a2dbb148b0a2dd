using Orleans.Hosting;
using Orleans.Runtime.MembershipService.SiloMetadata;
using SandboxGrains.Grains.Routing;
using SandboxGrains.Grains.Runners;

namespace SandboxGrains.Grains.Hosting;

/// <summary>What every silo needs for these grains, whether it is a real silo or one in a test cluster.</summary>
public static class SandboxGrainsSiloBuilderExtensions
{
    /// <summary>
    /// Registers which runner this silo owns (null: none) and announces it in silo metadata, so the runner placement
    /// director on any silo can put that runner's grain here and every front end knows how to reach its sandboxes; and the client through which grains tell every silo's
    /// <see cref="SandboxGrains.Routing.IRouteInvalidationService"/> that a route changed.
    /// </summary>
    public static ISiloBuilder AddSandboxGrains(this ISiloBuilder silo, LocalRunner localRunner)
    {
        silo.Services.AddSingleton(localRunner);
        silo.UseSiloMetadata(RunnerSiloMetadata.For(localRunner));
        silo.AddPlacementDirector<RunnerPlacement, RunnerPlacementDirector>();
        silo.Services.AddSingleton<RunnerLiveness>();
        silo.Services.AddSingleton<LocalRunnerHeartbeat>();

        // Grains announce route changes to every silo's IRouteInvalidationService; the host provides that service (the
        // silo's front end keeps its route cache with it).
        silo.Services.AddSingleton<RouteInvalidation>();
        silo.Services.AddSingleton<Events.ClusterEvents>();
        silo.AddIncomingGrainCallFilter<Telemetry.SandboxLogScope>();
        return silo;
    }
}
