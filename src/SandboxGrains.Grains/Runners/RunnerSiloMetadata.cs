using Orleans.Runtime.MembershipService.SiloMetadata;

namespace SandboxGrains.Grains.Runners;

/// <summary>
/// What a silo announces about its runner in Orleans' silo metadata, read on every other silo: by the placement director
/// (where a runner's grain lives) and by the front end (how to reach a runner's sandboxes).
/// </summary>
public static class RunnerSiloMetadata
{
    /// <summary>The runner the silo owns.</summary>
    public const string RunnerIdKey = "sandboxgrains.runner-id";

    /// <summary><see cref="LocalRunner.ForwardingEndpoint"/>.</summary>
    public const string ForwardingEndpointKey = "sandboxgrains.forwarding-endpoint";

    /// <summary><see cref="LocalRunner.ContainersReachable"/>, as <c>true</c>.</summary>
    public const string ContainersReachableKey = "sandboxgrains.containers-reachable";

    /// <summary>The entries a silo announces for <paramref name="runner"/>.</summary>
    public static Dictionary<string, string> For(LocalRunner runner)
    {
        var metadata = new Dictionary<string, string>();
        if (runner.RunnerId is { } runnerId)
        {
            metadata[RunnerIdKey] = runnerId;
            if (runner.ForwardingEndpoint is { } endpoint)
            {
                metadata[ForwardingEndpointKey] = endpoint;
            }

            if (runner.ContainersReachable)
            {
                metadata[ContainersReachableKey] = "true";
            }
        }

        return metadata;
    }

    /// <summary>
    /// The silo among <paramref name="silos"/> that announces <paramref name="runnerId"/> as its runner, if any; the newest
    /// when two do (a silo killed and restarted counts as active until the cluster votes the dead one out).
    /// </summary>
    public static SiloAddress? FindOwner(ISiloMetadataCache metadata, string runnerId, IEnumerable<SiloAddress> silos) =>
        silos.Where(silo => metadata.GetSiloMetadata(silo).Metadata.TryGetValue(RunnerIdKey, out var owned) && owned == runnerId)
            .MaxBy(silo => silo.Generation);
}
