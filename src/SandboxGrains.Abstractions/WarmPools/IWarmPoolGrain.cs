using SandboxGrains.Sandboxes;

namespace SandboxGrains.WarmPools;

/// <summary>
/// One warm pool (key = its id): keeps its sandboxes made, hands out a ready one to a create, and replaces those claimed
/// or lost. Its members are ordinary sandbox grains in state <see cref="SandboxState.Pooled"/>.
/// </summary>
[Alias("sandboxgrains.IWarmPoolGrain")]
public interface IWarmPoolGrain : IGrainWithStringKey
{
    /// <summary>Makes the pool and starts filling it. Refused (409) when the cluster has no room for it, or a pool of the same kind exists.</summary>
    [Alias("Create")]
    Task<WarmPoolInfo> CreateAsync(WarmPoolSpec spec, CancellationToken cancellationToken = default);

    /// <summary>The pool, or <c>warm_pool_not_found</c>.</summary>
    [Alias("Get"), AlwaysInterleave]
    Task<WarmPoolInfo> GetAsync(CancellationToken cancellationToken = default);

    /// <summary>Changes how many sandboxes it keeps: more are made (refused when there is no room), spares deleted.</summary>
    [Alias("Resize")]
    Task<WarmPoolInfo> ResizeAsync(int size, CancellationToken cancellationToken = default);

    /// <summary>Deletes the pool and every sandbox of it not yet claimed.</summary>
    [Alias("Delete"), ResponseTimeout("00:05:00")]
    Task DeleteAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Takes one ready sandbox for a create, or null when none is ready (the create then makes a cold one). The caller
    /// claims it with <see cref="ISandboxGrain.ClaimAsync"/>; the sandbox tells the pool how that went.
    /// </summary>
    [Alias("Take")]
    Task<string?> TakeAsync(CancellationToken cancellationToken = default);

    /// <summary>A member was handed to a caller: it is no longer the pool's, and another is made.</summary>
    [Alias("MemberClaimed"), OneWay]
    Task MemberClaimedAsync(string sandboxId);

    /// <summary>A member stopped, broke or was deleted: the pool deletes what is left of it and makes another.</summary>
    [Alias("MemberLost"), OneWay]
    Task MemberLostAsync(string sandboxId);

    /// <summary>A member was rebuilt from its container after a restart: the pool keeps it, or deletes it if it has enough.</summary>
    [Alias("MemberFound"), OneWay]
    Task MemberFoundAsync(string sandboxId);

    /// <summary>Wakes the pool (after a silo start, or now and then) so it looks at its members and refills.</summary>
    [Alias("Wake"), OneWay]
    Task WakeAsync();
}

/// <summary>Every warm pool in the cluster (a single activation, key <see cref="Key"/>): for listing, and for finding the pool a create can claim from.</summary>
[Alias("sandboxgrains.IWarmPoolRegistryGrain")]
public interface IWarmPoolRegistryGrain : IGrainWithStringKey
{
    const string Key = "cluster";

    /// <summary>Registers a pool of <paramref name="kind"/>; false when another pool has that kind already.</summary>
    [Alias("TryAdd")]
    Task<bool> TryAddAsync(string poolId, string kind, CancellationToken cancellationToken = default);

    [Alias("Remove")]
    Task RemoveAsync(string poolId, CancellationToken cancellationToken = default);

    /// <summary>Every pool's id, in order.</summary>
    [Alias("List"), AlwaysInterleave]
    Task<IReadOnlyList<string>> ListAsync(CancellationToken cancellationToken = default);

    /// <summary>The pool of <paramref name="kind"/> (<see cref="WarmPoolSpec.Kind"/>), or null.</summary>
    [Alias("Find"), AlwaysInterleave]
    Task<string?> FindAsync(string kind, CancellationToken cancellationToken = default);
}
