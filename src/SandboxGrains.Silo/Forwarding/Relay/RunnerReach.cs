using System.Collections.Concurrent;
using Orleans.Runtime.MembershipService.SiloMetadata;
using SandboxGrains.Grains.Runners;
using SandboxGrains.Http.Http1;

namespace SandboxGrains.Silo.Forwarding.Relay;

/// <summary>How this silo reaches a runner's sandboxes: straight, through the runner's relay, or not now (and why).</summary>
/// <param name="Relay">Null: straight to the container's address.</param>
/// <param name="Problem">Why the sandbox cannot be reached now; null when it can.</param>
/// <param name="Retryable">The problem is the cluster changing (a silo restarting), not a setting.</param>
internal readonly record struct Reach(Http1Tunnel? Relay, string? Problem = null, bool Retryable = false)
{
    public static Reach Straight => default;
}

/// <summary>
/// Picks the lane to a sandbox from facts and settings, never by trying: straight when the runner is this silo's own or
/// announces <c>Runner:ContainerNetworkReachable</c>, else through the relay its silo announces. Read from this silo's
/// view of the cluster (membership and silo metadata), so a runner's silo that restarts elsewhere is picked up as soon as
/// the cluster knows it.
/// </summary>
internal sealed class RunnerReach : IHostedService, IDisposable
{
    /// <summary>How often the cluster's announcements are read for runners marked reachable.</summary>
    private static readonly TimeSpan LearnEvery = TimeSpan.FromSeconds(2);

    private readonly IClusterMembershipService _membership;
    private readonly ISiloMetadataCache _metadata;
    private readonly LocalRunner _local;
    private readonly TimeProvider _time;
    private readonly byte[]? _key;
    private ITimer? _learning;

    // Runners whose containers every silo reaches, remembered past their silo's departure: their sandboxes keep serving
    // straight while the silo restarts, as they did before it left. Learned in the background, so a silo knows them
    // before its first request for one.
    private readonly ConcurrentDictionary<string, bool> _reachable = new(StringComparer.Ordinal);

    public RunnerReach(IClusterMembershipService membership, ISiloMetadataCache metadata, LocalRunner local, IOptions<RelayOptions> options, TimeProvider time)
    {
        (_membership, _metadata, _local, _time) = (membership, metadata, local, time);
        _key = options.Value.Secret is { } secret ? RelayProtocol.Key(secret) : null;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _learning = _time.CreateTimer(_ => LearnReachable(), null, TimeSpan.Zero, LearnEvery);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    // One tunnel per relay and sandbox, so requests do not each make one (the pool keys connections by its name). A
    // deleted sandbox's stays until the map is full, then all start over.
    private const int MaxTunnels = 10_000;
    private readonly ConcurrentDictionary<(string Endpoint, string SandboxId), RelayTunnel> _tunnels = new();

    public Reach For(string runnerId, string sandboxId)
    {
        if (runnerId == _local.RunnerId)
        {
            return Reach.Straight;
        }

        var owner = RunnerSiloMetadata.FindOwner(_metadata, runnerId, ActiveSilos());
        if (owner is null)
        {
            // Only while no silo owns the runner does memory speak for it.
            return _reachable.ContainsKey(runnerId)
                ? Reach.Straight
                : new Reach(null, $"runner {runnerId}'s silo is not in the cluster now (restarting or gone)", Retryable: true);
        }

        // The owner's announcement is the truth: a runner restarted with a relay instead of reachable containers must not
        // be dialled straight, where another host's bridge may give the same address to another sandbox.
        var announced = _metadata.GetSiloMetadata(owner).Metadata;
        if (Remember(runnerId, announced))
        {
            return Reach.Straight;
        }

        if (!announced.TryGetValue(RunnerSiloMetadata.ForwardingEndpointKey, out var endpoint))
        {
            return new Reach(null,
                $"runner {runnerId}'s silo neither serves a relay ({RelayOptions.SecretKey}) nor marks its containers reachable ({RelayOptions.ReachableKey})");
        }

        if (_key is null)
        {
            return new Reach(null, $"runner {runnerId}'s sandboxes are reached through its silo's relay, and this silo has no {RelayOptions.SecretKey} to sign with");
        }

        var colon = endpoint.LastIndexOf(':');
        var host = colon > 0 ? endpoint[..colon].Trim('[', ']') : owner.Endpoint.Address.ToString();
        var address = $"{host}:{endpoint[(colon + 1)..]}";
        if (_tunnels.Count >= MaxTunnels)
        {
            _tunnels.Clear();
        }

        return new Reach(_tunnels.GetOrAdd((address, sandboxId), key => new RelayTunnel(
            host, int.Parse(endpoint.AsSpan(colon + 1), provider: null), runnerId, key.SandboxId, _key, _time)));
    }

    private IEnumerable<SiloAddress> ActiveSilos() =>
        _membership.CurrentSnapshot.Members.Values.Where(m => m.Status == SiloStatus.Active).Select(m => m.SiloAddress);

    /// <summary>Records what the runner's silo announces now; true when its containers are reachable straight.</summary>
    private bool Remember(string runnerId, IReadOnlyDictionary<string, string> announced)
    {
        if (announced.ContainsKey(RunnerSiloMetadata.ContainersReachableKey))
        {
            _reachable[runnerId] = true;
            return true;
        }

        _reachable.TryRemove(runnerId, out _);
        return false;
    }

    private void LearnReachable()
    {
        try
        {
            foreach (var silo in ActiveSilos())
            {
                var announced = _metadata.GetSiloMetadata(silo).Metadata;
                if (announced.TryGetValue(RunnerSiloMetadata.RunnerIdKey, out var runnerId))
                {
                    Remember(runnerId, announced);
                }
            }
        }
        catch (Exception e) when (e is InvalidOperationException or ObjectDisposedException)
        {
            // The silo is starting or stopping; the next tick reads the cluster again.
        }
    }

    public void Dispose() => _learning?.Dispose();
}
