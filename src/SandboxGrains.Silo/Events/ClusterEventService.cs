using Orleans.Runtime;
using SandboxGrains.Events;

namespace SandboxGrains.Silo.Events;

/// <summary>The Orleans grain service (a system target on every silo) behind <see cref="IClusterEventService"/>: events from grains anywhere land in this silo's <see cref="EventHub"/> (and its <see cref="Telemetry.SandboxCensus"/>).</summary>
internal sealed class ClusterEventService(GrainId grainId, Orleans.Runtime.Silo silo, ILoggerFactory loggerFactory, EventHub hub, Telemetry.SandboxCensus census)
    : GrainService(grainId, silo, loggerFactory), IClusterEventService
{
    public Task PublishAsync(ClusterEvent clusterEvent)
    {
        hub.Publish(clusterEvent);
        census.Observe(clusterEvent);
        return Task.CompletedTask;
    }
}
