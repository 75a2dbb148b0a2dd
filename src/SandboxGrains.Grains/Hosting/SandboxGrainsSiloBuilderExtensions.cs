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
    /// director on any silo can put that runner's grain here; and this silo's route cache with the grain service that
    /// keeps it true.
    /// </summary>
    public static ISiloBuilder AddSandboxGrains(this ISiloBuilder silo, LocalRunner localRunner)
    {
        silo.Services.AddSingleton(localRunner);
        var metadata = new Dictionary<string, string>();
        if (localRunner.RunnerId is { } runnerId)
        {
            metadata[LocalRunner.MetadataKey] = runnerId;
        }

        silo.UseSiloMetadata(metadata);
        silo.AddPlacementDirector<RunnerPlacement, RunnerPlacementDirector>();
        silo.Services.AddSingleton<RunnerLiveness>();
        silo.Services.AddSingleton<LocalRunnerHeartbeat>();

        // Every silo's front end caches routes; grains tell every silo's cache when a route changes.
        silo.Services.AddSingleton<RouteCache>();
        silo.Services.AddSingleton<RouteInvalidation>();
        silo.AddGrainService<RouteInvalidationService>();
        return silo;
    }
}
