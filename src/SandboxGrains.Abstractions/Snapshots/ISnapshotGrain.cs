namespace SandboxGrains.Snapshots;

/// <summary>
/// One snapshot (key = its name): builds it from a sandbox, pushes it, hands its image to creates, and deletes it
/// (refused while a sandbox is being created from it). Its record is kept in grain storage, so it survives restarts.
/// </summary>
[Alias("sandboxgrains.ISnapshotGrain")]
public interface ISnapshotGrain : IGrainWithStringKey
{
    /// <summary>
    /// Snapshots <paramref name="sandboxId"/> (running or stopped). With <paramref name="wait"/> it returns once active
    /// (a failure throws, leaving no image and no record); without, at once in state building (a failure lands in
    /// <see cref="SnapshotState.Error"/>). <c>snapshot_exists</c> when the name is taken.
    /// </summary>
    [Alias("Create"), ResponseTimeout("00:30:00")]
    Task<SnapshotInfo> CreateAsync(string sandboxId, bool wait, CancellationToken cancellationToken = default);

    /// <summary>The snapshot, or <c>snapshot_not_found</c>.</summary>
    [Alias("Get"), AlwaysInterleave]
    Task<SnapshotInfo> GetAsync(CancellationToken cancellationToken = default);

    /// <summary>Removes the snapshot's image from the registry and the runners, and its record; <c>snapshot_in_use</c> while a create from it runs.</summary>
    [Alias("Delete"), ResponseTimeout("00:05:00")]
    Task DeleteAsync(CancellationToken cancellationToken = default);

    /// <summary>An active snapshot for a create of <paramref name="sandboxId"/>, which holds it (no delete) until <see cref="ReleaseAsync"/>.</summary>
    [Alias("Acquire")]
    Task<SnapshotInfo> AcquireAsync(string sandboxId, CancellationToken cancellationToken = default);

    /// <summary>The create of <paramref name="sandboxId"/> is over (made or failed): it no longer holds the snapshot.</summary>
    [Alias("Release")]
    Task ReleaseAsync(string sandboxId, CancellationToken cancellationToken = default);

    /// <summary>Finishes a create made without waiting; called by the grain itself.</summary>
    [Alias("Build"), OneWay]
    Task BuildAsync();
}

/// <summary>The names of every snapshot (a single activation, key <see cref="Key"/>), for listing.</summary>
[Alias("sandboxgrains.ISnapshotRegistryGrain")]
public interface ISnapshotRegistryGrain : IGrainWithStringKey
{
    /// <summary>The one key this grain is used with.</summary>
    const string Key = "cluster";

    /// <summary>Adds a name; adding it again does nothing.</summary>
    [Alias("Add")]
    Task AddAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>Removes a name; removing an unknown one does nothing.</summary>
    [Alias("Remove")]
    Task RemoveAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>Every name, in order.</summary>
    [Alias("List"), AlwaysInterleave]
    Task<IReadOnlyList<string>> ListAsync(CancellationToken cancellationToken = default);
}
