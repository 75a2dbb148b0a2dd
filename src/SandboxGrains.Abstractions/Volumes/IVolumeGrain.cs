namespace SandboxGrains.Volumes;

/// <summary>
/// One named volume (key = its name): makes its Docker volume on a runner, says where it is, and removes it once no
/// sandbox mounts it. The Docker volume's label is the truth; the grain remembers the runner so creates need not ask
/// every engine, and finds it again by that label after losing its state.
/// </summary>
[Alias("sandboxgrains.IVolumeGrain")]
public interface IVolumeGrain : IGrainWithStringKey
{
    /// <summary>Makes the volume on <paramref name="runnerId"/> (null: the healthy runner with the fewest sandboxes); <c>volume_exists</c> when it is there already.</summary>
    [Alias("Create"), ResponseTimeout("00:01:30")]
    Task<VolumeInfo> CreateAsync(string? runnerId, CancellationToken cancellationToken = default);

    /// <summary>The volume, or <c>volume_not_found</c>.</summary>
    [Alias("Get")]
    Task<VolumeInfo> GetAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// A sandbox that mounts the volume exists (being made, running, stopped or archived): the volume is not deleted from
    /// under it. <c>volume_not_found</c> when there is no such volume.
    /// </summary>
    [Alias("Attach")]
    Task AttachAsync(string sandboxId, CancellationToken cancellationToken = default);

    /// <summary>The sandbox is gone; detaching an unknown one does nothing.</summary>
    [Alias("Detach")]
    Task DetachAsync(string sandboxId, CancellationToken cancellationToken = default);

    /// <summary>Removes the volume and its data; <c>volume_in_use</c> (naming the sandboxes) while any sandbox mounts it, whatever its state.</summary>
    [Alias("Delete"), ResponseTimeout("00:01:30")]
    Task DeleteAsync(CancellationToken cancellationToken = default);
}
