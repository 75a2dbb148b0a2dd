using SandboxGrains.Docker;
using SandboxGrains.Docker.Sandboxes;
using SandboxGrains.Images;
using SandboxGrains.Volumes;

namespace SandboxGrains.Silo.Seeds.HostMode;

/// <summary>
/// The runner's engine in host mode: no Docker, one "container" — the host, whose daemon is <see cref="HostDaemon"/> —
/// which the runner reports as an adopted container (injection <c>none</c>) so the sandbox grain takes it in through its
/// usual reconciliation. Starting and health checks (re)start the daemon; stopping, deleting or releasing the sandbox
/// stops it. Images, volumes, snapshots and new containers do not exist here, and asking for them says so.
/// </summary>
internal sealed class HostSandboxContainers(HostDaemon daemon, IOptions<Runners.RunnerOptions> runner, TimeProvider time) : ISandboxContainers
{
    // When the host became this silo's sandbox: what the adoption marker says, for every read while the silo runs.
    private readonly DateTimeOffset _since = time.GetUtcNow();

    public Task<RecoveredContainer> ReadAsync(string container, CancellationToken cancellationToken) => ReadHostAsync(container, cancellationToken);

    public Task<IReadOnlyList<ManagedContainer>> ListAsync(string runnerId, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<ManagedContainer>>([new ManagedContainer(HostRunner.SandboxId, HostRunner.ContainerId, "running")]);

    public Task<SandboxContainer> StartAsync(string containerId, DaemonLaunch launch, CancellationToken cancellationToken) =>
        daemon.EnsureAsync(RequireHost(containerId, cancellationToken));

    public Task<SandboxContainer> EnsureDaemonAsync(string containerId, DaemonLaunch launch, CancellationToken cancellationToken) =>
        daemon.EnsureAsync(RequireHost(containerId, cancellationToken));

    public Task StopAsync(string containerId, CancellationToken cancellationToken) =>
        daemon.StopAsync("be stopped", RequireHost(containerId, cancellationToken));

    public Task RemoveAsync(string containerId, CancellationToken cancellationToken) => StopIfStartedHereAsync(containerId, cancellationToken);

    public Task ReleaseAsync(string containerId, DaemonLaunch launch, CancellationToken cancellationToken) => StopIfStartedHereAsync(containerId, cancellationToken);

    public Task<bool> HasImageAsync(string image, CancellationToken cancellationToken) => Task.FromResult(false);

    public Task<IReadOnlyList<VolumeInfo>> ListVolumesAsync(string runnerId, CancellationToken cancellationToken) => Task.FromResult<IReadOnlyList<VolumeInfo>>([]);

    public Task<IReadOnlyList<RunnerImage>> ListImagesAsync(CancellationToken cancellationToken) => Task.FromResult<IReadOnlyList<RunnerImage>>([]);

    public PullProgress? PullProgressOf(string image) => null;

    public Task<SandboxContainer> CreateAsync(string runnerId, SandboxContainerRequest request, CancellationToken cancellationToken) => throw NoEngine("create sandboxes");

    public Task<SandboxContainer> AdoptAsync(string containerId, AdoptionMarker adoption, string daemonToken, CancellationToken cancellationToken) => throw NoEngine("adopt containers");

    public Task<SandboxContainer> ClaimAsync(string containerId, SandboxClaim claim, DaemonLaunch launch, CancellationToken cancellationToken) => throw NoEngine("keep warm pools");

    public Task<string> ArchiveAsync(string runnerId, string containerId, SandboxContainerRequest request, CancellationToken cancellationToken) => throw NoEngine("archive sandboxes");

    public Task<RecoveredContainer> ReadArchiveAsync(string archiveImage, CancellationToken cancellationToken) => throw new ImageNotFoundException(archiveImage, null);

    public Task<SandboxContainer> RestoreAsync(string runnerId, SandboxContainerRequest request, string archiveImage, CancellationToken cancellationToken) => throw NoEngine("restore archives");

    public Task RemoveImageAsync(string image, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task DeleteImageAsync(string image, CancellationToken cancellationToken) => throw new ImageNotFoundException(image, null);

    public Task<VolumeInfo> CreateVolumeAsync(string runnerId, string name, CancellationToken cancellationToken) => throw NoEngine("make volumes");

    public Task RemoveVolumeAsync(string name, CancellationToken cancellationToken) => throw new VolumeNotFoundException(name);

    public Task<long> CommitSnapshotAsync(string containerId, string image, string snapshotName, CancellationToken cancellationToken) => throw NoEngine("take snapshots");

    public Task PushImageAsync(string image, CancellationToken cancellationToken) => throw NoEngine("push images");

    public Task PublishImageAsync(string image, string remoteImage, CancellationToken cancellationToken) => throw NoEngine("push images");

    public Task PullImageAsync(string image, CancellationToken cancellationToken) => throw NoEngine("pull images");

    /// <summary>
    /// The host as an adopted container: its adoption marker makes the grain treat it as the user's own (nothing stops,
    /// archives or removes it by policy; deleting the sandbox only stops the daemon), with the daemon's secret beside it.
    /// </summary>
    private async Task<RecoveredContainer> ReadHostAsync(string container, CancellationToken cancellationToken)
    {
        RequireHost(container, cancellationToken);
        return new RecoveredContainer(
            await daemon.LookAsync(cancellationToken).ConfigureAwait(false),
            Image: "host",
            Labels: new Dictionary<string, string>(),
            Env: [],
            User: Environment.UserName,
            DaemonToken: daemon.Secret(),
            Name: HostRunner.ContainerId,
            WorkingDir: daemon.WorkDir,
            Adoption: new AdoptionMarker(HostRunner.SandboxId, runner.Value.Id, InjectionMode.None, daemon.WorkDir, _since));
    }

    private async Task StopIfStartedHereAsync(string containerId, CancellationToken cancellationToken)
    {
        if (daemon.StartedHere)
        {
            await daemon.StopAsync("be removed", RequireHost(containerId, cancellationToken)).ConfigureAwait(false);
        }
    }

    /// <summary>The host is the only container here; any other name is not found (seed 003's routes say so).</summary>
    private static CancellationToken RequireHost(string container, CancellationToken cancellationToken) =>
        container == HostRunner.ContainerId ? cancellationToken : throw new ContainerNotFoundException(container, null);

    private ContainerRuntimeException NoEngine(string what) =>
        new($"runner {runner.Value.Id} is this host in seed 002's host mode (DaemonProxy:Mode=host): it has no Docker engine, so it cannot {what}");
}
