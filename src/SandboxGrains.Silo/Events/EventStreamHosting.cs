using Orleans.Hosting;

namespace SandboxGrains.Silo.Events;

/// <summary>This silo's event stream: its buffer and subscribers, and the grain service through which grains hand it every event.</summary>
internal static class EventStreamHosting
{
    public static ISiloBuilder AddEventStream(this ISiloBuilder silo)
    {
        silo.Services.AddSingleton<EventHub>();
        silo.AddGrainService<ClusterEventService>();
        return silo;
    }
}
