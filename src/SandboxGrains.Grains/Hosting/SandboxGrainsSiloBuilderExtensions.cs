using Orleans.Hosting;
using Orleans.Runtime.MembershipService.SiloMetadata;
using SandboxGrains.Grains.Runners;

namespace SandboxGrains.Grains.Hosting;

/// <summary>What every silo needs for these grains, whether it is a real silo or one in a test cluster.</summary>
public static class SandboxGrainsSiloBuilderExtensions
{
    /// <summary>
    /// Registers which runner this silo owns (null: none) and announces it in silo metadata, so the runner placement
    /// director on any silo can put that runner's grain here.
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
        return silo;
    }
}
