using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;
using SandboxGrains.Events;

namespace SandboxGrains.Grains.Tests;

/// <summary>Every event the grains raised, per silo, in arrival order: the test cluster's stand-in for each silo's event stream.</summary>
public sealed class RecordedEvents
{
    private readonly ConcurrentQueue<(string Silo, ClusterEvent Event)> _events = new();

    public void Add(string silo, ClusterEvent clusterEvent) => _events.Enqueue((silo, clusterEvent));

    /// <summary>What one silo received about <paramref name="sandboxId"/>, in order.</summary>
    public IReadOnlyList<ClusterEvent> About(string silo, string sandboxId) =>
        [.. _events.Where(e => e.Silo == silo && e.Event.SandboxId == sandboxId).Select(e => e.Event)];

    /// <summary>What one silo received of one type, in order.</summary>
    public IReadOnlyList<ClusterEvent> OfType(string silo, string type) =>
        [.. _events.Where(e => e.Silo == silo && e.Event.Type == type).Select(e => e.Event)];

    public IReadOnlySet<string> Silos => _events.Select(e => e.Silo).ToHashSet();
}

/// <summary>The grain service every test silo runs in place of the real event stream's, recording what it is handed.</summary>
internal sealed class RecordingEventService(GrainId grainId, Silo silo, ILoggerFactory loggerFactory, RecordedEvents recorded)
    : GrainService(grainId, silo, loggerFactory), IClusterEventService
{
    private readonly string _silo = silo.SiloAddress.ToString();

    public Task PublishAsync(ClusterEvent clusterEvent)
    {
        recorded.Add(_silo, clusterEvent);
        return Task.CompletedTask;
    }
}
