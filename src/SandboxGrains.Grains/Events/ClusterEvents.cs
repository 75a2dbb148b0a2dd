using Microsoft.Extensions.Logging;
using Orleans.Runtime.Services;
using SandboxGrains.Events;
using SandboxGrains.Grains.Routing;

namespace SandboxGrains.Grains.Events;

/// <summary>
/// Hands an event to every active silo's <see cref="IClusterEventService"/>, so a subscriber on any silo sees it. The
/// grain that raises events awaits each, so one sandbox's events reach every silo in the order they happened.
/// </summary>
internal sealed partial class ClusterEvents(
    IServiceProvider services,
    IClusterMembershipService membership,
    ILogger<ClusterEvents> logger) : GrainServiceClient<IClusterEventService>(services)
{
    public Task PublishAsync(ClusterEvent clusterEvent) => SiloBroadcast.ToActiveSilosAsync(
        membership, silo => GetGrainService(silo).PublishAsync(clusterEvent), (silo, e) => LogNotDelivered(logger, clusterEvent.Type, silo.ToString(), e.Message));

    // Its subscribers miss the event; a silo that cannot answer is about to be declared dead, and they reconnect elsewhere.
    [LoggerMessage(1, LogLevel.Warning, "Event {Type} did not reach silo {Silo}: {Reason}")]
    private static partial void LogNotDelivered(ILogger logger, string type, string silo, string reason);
}
