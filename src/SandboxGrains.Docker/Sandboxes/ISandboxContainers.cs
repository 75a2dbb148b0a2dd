using SandboxGrains.Runners;
using SandboxGrains.Sandboxes;

namespace SandboxGrains.Docker.Sandboxes;

/// <summary>
/// Sandbox containers on this host's Docker engine: making them, injecting and starting the daemon, and reading back what
/// reconciliation and adoption need. The runner grain delegates here; only this silo can reach the engine.
/// </summary>
public interface ISandboxContainers
{
    /// <summary>Creates and starts a sandbox's container, injects the daemon, and returns once it answers.</summary>
    Task<SandboxContainer> CreateAsync(string runnerId, SandboxContainerRequest request, CancellationToken cancellationToken);

    /// <summary>Starts a stopped container and its daemon, and returns once the daemon answers.</summary>
    Task<SandboxContainer> StartAsync(string containerId, DaemonLaunch daemon, CancellationToken cancellationToken);

    /// <summary>Stops a container (grace period, then kill).</summary>
    Task StopAsync(string containerId, CancellationToken cancellationToken);

    /// <summary>Removes a container; a missing one is fine.</summary>
    Task RemoveAsync(string containerId, CancellationToken cancellationToken);

    /// <summary>Starts the daemon again when it does not answer in a running container (copy and none modes).</summary>
    Task<SandboxContainer> EnsureDaemonAsync(string containerId, DaemonLaunch daemon, CancellationToken cancellationToken);

    /// <summary>Reads a container's configuration and its daemon secret (by id or name).</summary>
    Task<RecoveredContainer> ReadAsync(string container, CancellationToken cancellationToken);

    /// <summary>
    /// Copies the daemon into a running container the cluster did not create, leaves the adoption marker beside its
    /// secret, and starts it.
    /// </summary>
    Task<SandboxContainer> AdoptAsync(string containerId, AdoptionMarker adoption, string daemonToken, CancellationToken cancellationToken);

    /// <summary>
    /// Hands a warm pool's running sandbox to a caller: checks that its daemon answers (one that does not is not handed
    /// out), then writes the claim beside the daemon secret, where the daemon takes its environment from.
    /// </summary>
    Task<SandboxContainer> ClaimAsync(string containerId, SandboxClaim claim, DaemonLaunch daemon, CancellationToken cancellationToken);

    /// <summary>
    /// Archives a stopped sandbox's container: commits its filesystem and configuration, labelled for
    /// <paramref name="request"/> (the sandbox as it is now), to the sandbox's archive image
    /// (<see cref="SandboxLabels.ArchiveImage"/>), then removes the container. Returns that image.
    /// </summary>
    Task<string> ArchiveAsync(string runnerId, string containerId, SandboxContainerRequest request, CancellationToken cancellationToken);

    /// <summary>What an archive image says of its sandbox (its labels, environment, user), for a grain that lost its state.</summary>
    Task<RecoveredContainer> ReadArchiveAsync(string archiveImage, CancellationToken cancellationToken);

    /// <summary>
    /// Makes the sandbox's container again from its archive image (its files, environment, command and daemon secret are
    /// in it), with the request's labels and limits, starts it and returns once the daemon answers.
    /// </summary>
    Task<SandboxContainer> RestoreAsync(string runnerId, SandboxContainerRequest request, string archiveImage, CancellationToken cancellationToken);

    /// <summary>Removes an image tag of ours (an archive, a snapshot) and the image once nothing uses it.</summary>
    Task RemoveImageAsync(string image, CancellationToken cancellationToken);

    /// <summary>True when the image is on this host's engine.</summary>
    Task<bool> HasImageAsync(string image, CancellationToken cancellationToken);

    /// <summary>Makes a named volume on this host's engine, labelled with its name and this runner.</summary>
    Task<Volumes.VolumeInfo> CreateVolumeAsync(string runnerId, string name, CancellationToken cancellationToken);

    /// <summary>The named volumes on this host's engine, by name.</summary>
    Task<IReadOnlyList<Volumes.VolumeInfo>> ListVolumesAsync(string runnerId, CancellationToken cancellationToken);

    /// <summary>Removes a named volume and its data; <see cref="VolumeInUseException"/> naming the sandboxes that mount it.</summary>
    Task RemoveVolumeAsync(string name, CancellationToken cancellationToken);

    /// <summary>
    /// Commits a sandbox's container (running or stopped) to <paramref name="image"/> for a snapshot, without its daemon
    /// secret and the labels that tie it to the sandbox; returns the image's size in bytes.
    /// </summary>
    Task<long> CommitSnapshotAsync(string containerId, string image, string snapshotName, CancellationToken cancellationToken);

    /// <summary>Every tagged image on this host's engine, with the sandboxes using each and what of ours it belongs to.</summary>
    Task<IReadOnlyList<Images.RunnerImage>> ListImagesAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Removes an image an operator no longer wants: <see cref="ImageNotFoundException"/> when it is not here,
    /// <see cref="ImageInUseException"/> while a sandbox or any container uses it, or it is an archive or a snapshot.
    /// </summary>
    Task DeleteImageAsync(string image, CancellationToken cancellationToken);

    /// <summary>Pushes a local image to its registry with the credentials configured for it.</summary>
    Task PushImageAsync(string image, CancellationToken cancellationToken);

    /// <summary>Tags a local image as <paramref name="remoteImage"/> (in a registry) and pushes it there.</summary>
    Task PublishImageAsync(string image, string remoteImage, CancellationToken cancellationToken);

    /// <summary>Pulls an image onto this host's engine, or joins the pull of it already under way.</summary>
    Task PullImageAsync(string image, CancellationToken cancellationToken);

    /// <summary>How far the pull of an image has come on this host; null when none is under way.</summary>
    Images.PullProgress? PullProgressOf(string image);

    /// <summary>Removes the daemon and its files from an adopted container, leaving the container running.</summary>
    Task ReleaseAsync(string containerId, DaemonLaunch daemon, CancellationToken cancellationToken);

    /// <summary>
    /// Every container of this runner: those carrying its labels and those it adopted; and the archive images of its
    /// archived sandboxes (<see cref="ManagedContainer.Archived"/>, the image in place of a container id).
    /// </summary>
    Task<IReadOnlyList<ManagedContainer>> ListAsync(string runnerId, CancellationToken cancellationToken);
}
