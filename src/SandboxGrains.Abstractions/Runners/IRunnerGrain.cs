using SandboxGrains.Sandboxes;

namespace SandboxGrains.Runners;

/// <summary>
/// One per Docker host (key = runner id): capacity, allocations and health of that host, and the only place where its
/// containers are touched. It is placed on the silo that owns the host's Docker engine (a unix socket is only reachable
/// there). Container operations interleave: they touch no grain state, and one slow container must not hold up the rest.
/// </summary>
[Alias("sandboxgrains.IRunnerGrain")]
public interface IRunnerGrain : IGrainWithStringKey
{
    /// <summary>Records a heartbeat from the silo that owns this runner's Docker engine.</summary>
    /// <remarks>No cancellation token yet: the silo calls this holding a token of its own, which adding one would oblige it to forward (CA2016).</remarks>
    [Alias("Heartbeat")]
    Task HeartbeatAsync(RunnerHeartbeat heartbeat, CancellationToken cancellationToken = default);

    /// <summary>The runner's current view: capacity, allocations, health.</summary>
    /// <remarks>No cancellation token yet: the silo calls this holding a token of its own, which adding one would oblige it to forward (CA2016).</remarks>
    [Alias("GetInfo")]
    Task<RunnerInfo> GetInfoAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Reserves resources for a sandbox. Returns false when the runner is not healthy or has no room; reserving again
    /// for the same sandbox replaces its earlier reservation.
    /// </summary>
    [Alias("TryReserve")]
    Task<bool> TryReserveAsync(string sandboxId, RunnerResources resources, CancellationToken cancellationToken = default);

    /// <summary>Releases a sandbox's reservation; releasing an unknown sandbox does nothing.</summary>
    [Alias("Release")]
    Task ReleaseAsync(string sandboxId, CancellationToken cancellationToken = default);

    /// <summary>Records a sandbox's reservation without checking room: the container already exists (reconciliation).</summary>
    [Alias("Record")]
    Task RecordAsync(string sandboxId, RunnerResources resources, CancellationToken cancellationToken = default);

    /// <summary>Creates, starts and injects a sandbox's container, returning once its daemon answers.</summary>
    [Alias("CreateSandboxContainer"), AlwaysInterleave, ResponseTimeout("00:02:30")]
    Task<SandboxContainer> CreateSandboxContainerAsync(SandboxContainerRequest request, CancellationToken cancellationToken = default);

    /// <summary>Starts a stopped sandbox container and its daemon, returning once the daemon answers.</summary>
    [Alias("StartSandboxContainer"), AlwaysInterleave, ResponseTimeout("00:02:30")]
    Task<SandboxContainer> StartSandboxContainerAsync(string containerId, DaemonLaunch daemon, CancellationToken cancellationToken = default);

    /// <summary>Stops a sandbox container (grace period, then kill).</summary>
    [Alias("StopSandboxContainer"), AlwaysInterleave, ResponseTimeout("00:01:30")]
    Task StopSandboxContainerAsync(string containerId, CancellationToken cancellationToken = default);

    /// <summary>Removes a sandbox container; a missing one is fine.</summary>
    [Alias("RemoveSandboxContainer"), AlwaysInterleave, ResponseTimeout("00:01:30")]
    Task RemoveSandboxContainerAsync(string containerId, CancellationToken cancellationToken = default);

    /// <summary>Restarts the daemon of a running container when it does not answer (copy and none modes).</summary>
    [Alias("EnsureDaemon"), AlwaysInterleave, ResponseTimeout("00:01:30")]
    Task<SandboxContainer> EnsureDaemonAsync(string containerId, DaemonLaunch daemon, CancellationToken cancellationToken = default);

    /// <summary>Reads a container's labels, environment and daemon secret so its sandbox can be rebuilt or adopted.</summary>
    [Alias("ReadContainer"), AlwaysInterleave]
    Task<RecoveredContainer> ReadContainerAsync(string container, CancellationToken cancellationToken = default);

    /// <summary>Injects the daemon into a running container that the cluster did not create (adopt).</summary>
    [Alias("AdoptContainer"), AlwaysInterleave, ResponseTimeout("00:02:30")]
    Task<SandboxContainer> AdoptContainerAsync(string containerId, string sandboxId, DaemonLaunch daemon, CancellationToken cancellationToken = default);

    /// <summary>Takes the daemon out of an adopted container and leaves the container running.</summary>
    [Alias("ReleaseAdoptedContainer"), AlwaysInterleave, ResponseTimeout("00:01:30")]
    Task ReleaseAdoptedContainerAsync(string containerId, DaemonLaunch daemon, CancellationToken cancellationToken = default);

    /// <summary>Commits a stopped sandbox's container to its archive image and removes the container; returns the image.</summary>
    [Alias("ArchiveSandboxContainer"), AlwaysInterleave, ResponseTimeout("00:10:00")]
    Task<string> ArchiveSandboxContainerAsync(string containerId, SandboxContainerRequest request, CancellationToken cancellationToken = default);

    /// <summary>Reads an archived sandbox's image back (labels, environment) for a grain that lost its state.</summary>
    [Alias("ReadArchive"), AlwaysInterleave]
    Task<RecoveredContainer> ReadArchiveAsync(string archiveImage, CancellationToken cancellationToken = default);

    /// <summary>Makes an archived sandbox's container again from its archive image and starts it.</summary>
    [Alias("RestoreSandboxContainer"), AlwaysInterleave, ResponseTimeout("00:05:00")]
    Task<SandboxContainer> RestoreSandboxContainerAsync(SandboxContainerRequest request, string archiveImage, CancellationToken cancellationToken = default);

    /// <summary>Removes an image tag of ours (a deleted sandbox's archive, a deleted snapshot); a missing one, or one a container still uses, is left.</summary>
    [Alias("RemoveImage"), AlwaysInterleave, ResponseTimeout("00:02:00")]
    Task RemoveImageAsync(string image, CancellationToken cancellationToken = default);

    /// <summary>Hands a pooled sandbox's container to a caller: its daemon must answer; the claim is written beside its secret.</summary>
    [Alias("ClaimSandboxContainer"), AlwaysInterleave, ResponseTimeout("00:00:30")]
    Task<SandboxContainer> ClaimSandboxContainerAsync(string containerId, SandboxClaim claim, DaemonLaunch daemon, CancellationToken cancellationToken = default);

    /// <summary>True when the image is on this runner's engine.</summary>
    [Alias("HasImage"), AlwaysInterleave]
    Task<bool> HasImageAsync(string image, CancellationToken cancellationToken = default);

    /// <summary>Commits a sandbox's container to a snapshot's image (without its daemon secret); returns the image's size in bytes.</summary>
    [Alias("CommitSnapshot"), AlwaysInterleave, ResponseTimeout("00:10:00")]
    Task<long> CommitSnapshotAsync(string containerId, string image, string snapshotName, CancellationToken cancellationToken = default);

    /// <summary>Tags an image of this runner as <paramref name="remoteImage"/> and pushes it to that registry (an archive made restorable anywhere).</summary>
    [Alias("PublishImage"), AlwaysInterleave, ResponseTimeout("00:30:00")]
    Task PublishImageAsync(string image, string remoteImage, CancellationToken cancellationToken = default);

    /// <summary>Pushes an image of this runner to its registry.</summary>
    [Alias("PushImage"), AlwaysInterleave, ResponseTimeout("00:30:00")]
    Task PushImageAsync(string image, CancellationToken cancellationToken = default);

    /// <summary>Every tagged image on this runner, with its users, owner and when it was last used here.</summary>
    [Alias("ListImages"), AlwaysInterleave]
    Task<IReadOnlyList<Images.RunnerImage>> ListImagesAsync(CancellationToken cancellationToken = default);

    /// <summary>Removes an unused image: <c>image_not_found</c> when it is not here, <c>image_in_use</c> while anything uses or owns it.</summary>
    [Alias("DeleteImage"), AlwaysInterleave, ResponseTimeout("00:02:00")]
    Task DeleteImageAsync(string image, CancellationToken cancellationToken = default);

    /// <summary>Makes a named volume on this runner's engine.</summary>
    [Alias("CreateVolume"), AlwaysInterleave, ResponseTimeout("00:01:00")]
    Task<Volumes.VolumeInfo> CreateVolumeAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>The named volumes on this runner's engine.</summary>
    [Alias("ListVolumes"), AlwaysInterleave]
    Task<IReadOnlyList<Volumes.VolumeInfo>> ListVolumesAsync(CancellationToken cancellationToken = default);

    /// <summary>Removes a named volume; <see cref="SandboxErrorCodes.VolumeInUse"/> naming the sandboxes while any container mounts it.</summary>
    [Alias("RemoveVolume"), AlwaysInterleave, ResponseTimeout("00:01:00")]
    Task RemoveVolumeAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>
    /// Pulls an image onto this runner, or joins the pull of it under way; fails with <see cref="SandboxErrorCodes.ImageNotFound"/>
    /// when the registry has no such image, <see cref="SandboxErrorCodes.ImagePullFailed"/> when it refuses us or cannot be reached.
    /// </summary>
    [Alias("PullImage"), AlwaysInterleave, ResponseTimeout("00:30:00")]
    Task PullImageAsync(string image, CancellationToken cancellationToken = default);

    /// <summary>How far the pull of an image has come on this runner; null when none is under way.</summary>
    [Alias("GetPullProgress"), AlwaysInterleave]
    Task<Images.PullProgress?> GetPullProgressAsync(string image, CancellationToken cancellationToken = default);

    /// <summary>Ids and container ids of every managed container on this runner, for reconciliation.</summary>
    /// <remarks>No cancellation token yet: the silo calls this holding a token of its own, which adding one would oblige it to forward (CA2016).</remarks>
    [Alias("ListSandboxContainers"), AlwaysInterleave]
    Task<IReadOnlyList<ManagedContainer>> ListSandboxContainersAsync(CancellationToken cancellationToken = default);
}
