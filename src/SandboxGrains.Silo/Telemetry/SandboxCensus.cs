using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using SandboxGrains.Events;
using SandboxGrains.Grains.Runners;
using SandboxGrains.Telemetry;

namespace SandboxGrains.Silo.Telemetry;

/// <summary>
/// The state of every sandbox on this silo's runner, for the <c>sandboxgrains.sandboxes</c> gauge: kept from the events
/// every silo receives, after one look at every sandbox at start-up (<see cref="ClusterGauges"/>). Each silo counts its
/// own runner's sandboxes only, so a sum over every silo's scrape counts each sandbox once; a front-end-only silo counts
/// none, and a sandbox that was never placed on a runner (an error at placement) is counted by no silo.
/// </summary>
internal sealed class SandboxCensus
{
    private readonly ConcurrentDictionary<string, SandboxState> _states = new(StringComparer.Ordinal);
    private readonly string? _runnerId;

    private readonly ConcurrentDictionary<string, bool> _observedWhileSeeding = new(StringComparer.Ordinal);
    private volatile bool _seeding = true;

    public SandboxCensus(LocalRunner local, IMeterFactory meters, IOptions<TelemetryOptions> telemetry)
    {
        // With telemetry off, or without a runner, there is nothing to count.
        _runnerId = telemetry.Value.Enabled ? local.RunnerId : null;
        if (_runnerId is not null)
        {
            // From this host's meter factory, so an instrument goes with its host (tests host silos in one process).
            meters.Create(SandboxGrainsTelemetry.Name).CreateObservableGauge(
                "sandboxgrains.sandboxes", Measure, unit: "{sandbox}", description: "Sandboxes on this silo's runner, by state.");
        }
    }

    /// <summary>A sandbox event: its state now, or gone (deleted, or moved to another runner by a restore).</summary>
    public void Observe(ClusterEvent e)
    {
        if (_runnerId is null || e.SandboxId is not { } id || !e.Type.StartsWith("sandbox.", StringComparison.Ordinal))
        {
            return;
        }

        if (_seeding)
        {
            _observedWhileSeeding[id] = true;
        }

        if (e.Type == ClusterEventTypes.SandboxDeleted || e.Sandbox?.RunnerId != _runnerId)
        {
            _states.TryRemove(id, out _);
        }
        else if (e.Sandbox is { } sandbox)
        {
            _states[id] = sandbox.State;
        }
    }

    /// <summary>A sandbox as read at start-up; an event about it that arrived meanwhile (a change, a delete) is newer and wins.</summary>
    public void Seed(SandboxInfo sandbox)
    {
        if (_runnerId is not null && sandbox.RunnerId == _runnerId && !_observedWhileSeeding.ContainsKey(sandbox.Id))
        {
            _states.TryAdd(sandbox.Id, sandbox.State);
        }
    }

    /// <summary>The start-up reading is done: events alone keep the count from now on.</summary>
    public void Seeded()
    {
        _seeding = false;
        _observedWhileSeeding.Clear();
    }

    private IEnumerable<Measurement<long>> Measure()
    {
        var counts = _states.Values.GroupBy(s => s).ToDictionary(g => g.Key, g => (long)g.Count());

        // Every state, zeros included, so a series does not vanish when its last sandbox leaves it.
        foreach (var state in Enum.GetValues<SandboxState>())
        {
            yield return new Measurement<long>(
                counts.GetValueOrDefault(state),
                new(SandboxGrainsTelemetry.State, state.ToString().ToLowerInvariant()),
                new(SandboxGrainsTelemetry.RunnerId, _runnerId));
        }
    }
}
