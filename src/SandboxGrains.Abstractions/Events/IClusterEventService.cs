using Orleans.Services;

namespace SandboxGrains.Events;

/// <summary>
/// One per silo (an Orleans grain service): grains hand every silo each event, and the silo's event stream passes it to
/// its subscribers. Grains only announce; the buffer and the subscribers are the silo's own.
/// </summary>
[Alias("sandboxgrains.IClusterEventService")]
public interface IClusterEventService : IGrainService
{
    /// <summary>An event happened.</summary>
    [Alias("Publish")]
    Task PublishAsync(ClusterEvent clusterEvent);
}
