using Orleans.Runtime;
using SandboxGrains.Events;

namespace SandboxGrains.Silo.Events;

/// <summary>The Orleans grain service (a system target on every silo) behind <see cref="IClusterEventService"/>: events from grains anywhere land in this silo's <see cref="EventHub"/>.</summary>
internal sealed class ClusterEventService(GrainId grainId, Orleans.Runtime.Silo silo, ILoggerFactory loggerFactory, EventHub hub)
    : GrainService(grainId, silo, loggerFactory), IClusterEventService
{
    public Task PublishAsync(ClusterEvent clusterEvent)
    {
        hub.Publish(clusterEvent);
        return Task.CompletedTask;
    }
}
