using SandboxGrains.Previews;
using SandboxGrains.Snapshots;

namespace SandboxGrains.Sandboxes;

/// <summary>One sandbox (key = sandbox id). Every change to its life goes through here, one at a time.</summary>
[Alias("sandboxgrains.ISandboxGrain")]
public interface ISandboxGrain : IGrainWithStringKey
{
    /// <summary>
    /// Creates the sandbox and, when <paramref name="wait"/> is true, returns once it is started. With
    /// <paramref name="wait"/> false it returns in state <see cref="SandboxState.Creating"/> and finishes in the background.
    /// Problems found before any container exists (no capacity, unknown image) throw and leave nothing behind.
    /// </summary>
    [Alias("Create"), ResponseTimeout("00:15:00")]
    Task<SandboxInfo> CreateAsync(SandboxSpec spec, bool wait, CancellationToken cancellationToken = default);

    /// <summary>Makes an existing running container a sandbox through copy (or none) injection.</summary>
    [Alias("Adopt"), ResponseTimeout("00:03:00")]
    Task<SandboxInfo> AdoptAsync(string container, InjectionMode injection, CancellationToken cancellationToken = default);

    /// <summary>The sandbox, or a <see cref="SandboxException"/> with code <c>sandbox_not_found</c>.</summary>
    [Alias("Get"), AlwaysInterleave]
    Task<SandboxInfo> GetAsync(CancellationToken cancellationToken = default);

    /// <summary>Stops the container; stopping a stopped sandbox does nothing.</summary>
    [Alias("Stop"), ResponseTimeout("00:02:00")]
    Task<SandboxInfo> StopAsync(CancellationToken cancellationToken = default);

    /// <summary>Starts the container and its daemon again (an archived sandbox is restored first); starting a started sandbox does nothing.</summary>
    [Alias("Start"), ResponseTimeout("00:05:00")]
    Task<SandboxInfo> StartAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Archives a stopped sandbox: its container committed to an image on its runner and removed, its resources released.
    /// <see cref="StartAsync"/> restores it. Archiving an archived one does nothing; any other state is <c>invalid_state</c>.
    /// </summary>
    [Alias("Archive"), ResponseTimeout("00:10:00")]
    Task<SandboxInfo> ArchiveAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Commits the sandbox's filesystem (started or stopped) to a snapshot's image on its runner, one call at a time with
    /// its other operations; returns the runner and the image's size. Any other state is <c>invalid_state</c>.
    /// </summary>
    [Alias("CommitSnapshot"), ResponseTimeout("00:10:00")]
    Task<SnapshotSource> CommitSnapshotAsync(string image, string snapshotName, CancellationToken cancellationToken = default);

    /// <summary>Removes the container (an adopted one only when asked), releases its resources and clears all state.</summary>
    [Alias("Delete"), ResponseTimeout("00:02:00")]
    Task DeleteAsync(bool removeAdoptedContainer, CancellationToken cancellationToken = default);

    /// <summary>Where the daemon listens, for the toolbox and preview front ends.</summary>
    /// <remarks>No cancellation token: front ends hand this method to their route cache as a parameterless fetch.</remarks>
    [Alias("GetDaemonEndpoint"), AlwaysInterleave]
    Task<DaemonEndpoint> GetDaemonEndpointAsync(CancellationToken cancellationToken = default);

    /// <summary>Docker reported something about this sandbox's container; the grain looks at reality and follows it.</summary>
    [Alias("OnContainerEvent"), OneWay]
    Task OnContainerEventAsync(string containerId, string action);

    /// <summary>
    /// A runner's silo found this sandbox's container at start-up. The grain takes it back: state rebuilt from the
    /// container's labels if it has none, reservations re-recorded, a dead daemon restarted.
    /// </summary>
    /// <remarks>No cancellation token yet: the silo calls this holding a token of its own, which adding one would oblige it to forward (CA2016).</remarks>
    [Alias("Reconcile"), ResponseTimeout("00:02:00")]
    Task<SandboxInfo> ReconcileAsync(string runnerId, string containerId, CancellationToken cancellationToken = default);

    /// <summary>A runner's silo found this sandbox's archive image at start-up: a grain without state takes it back as archived.</summary>
    [Alias("ReconcileArchive"), ResponseTimeout("00:02:00")]
    Task<SandboxInfo> ReconcileArchiveAsync(string runnerId, string archiveImage, CancellationToken cancellationToken = default);

    /// <summary>
    /// Makes a preview link to <paramref name="port"/>; the answer holds the only copy of the token the cluster ever
    /// sees (it keeps a hash). <paramref name="expiresIn"/> null: the link works until revoked or the sandbox is deleted.
    /// </summary>
    [Alias("CreatePreview")]
    Task<IssuedPreview> CreatePreviewAsync(int port, TimeSpan? expiresIn, CancellationToken cancellationToken = default);

    /// <summary>
    /// The sandbox's standing link to <paramref name="port"/>: the same token on every call (derived from the sandbox's
    /// daemon secret, so the cluster still keeps only its hash), made on the first. It works until revoked, the sandbox
    /// is deleted, or its secret changes (a restore from an archive), after which a call answers a new one.
    /// </summary>
    [Alias("GetStandingPreview")]
    Task<IssuedPreview> GetStandingPreviewAsync(int port, CancellationToken cancellationToken = default);

    /// <summary>The sandbox's live preview links (expired ones are kept for a day so they answer 410, then dropped).</summary>
    [Alias("ListPreviews"), AlwaysInterleave]
    Task<IReadOnlyList<PreviewRecord>> ListPreviewsAsync(CancellationToken cancellationToken = default);

    /// <summary>Revokes one link by its token's hash or its public id; false when the sandbox has no such link.</summary>
    [Alias("RevokePreview")]
    Task<bool> RevokePreviewAsync(string tokenHashOrId, CancellationToken cancellationToken = default);

    /// <summary>Toolbox or preview traffic reached the sandbox (sampled by each silo's front end, not per request).</summary>
    [Alias("RecordActivity"), OneWay]
    Task RecordActivityAsync(DateTimeOffset at);

    /// <summary>Changes the sandbox's lifecycle policies and labels; what the update leaves out stays as it is.</summary>
    [Alias("Update")]
    Task<SandboxInfo> UpdateAsync(SandboxUpdate update, CancellationToken cancellationToken = default);

    /// <summary>Marks the sandbox active now, as traffic would (pushes its idle auto-stop back).</summary>
    [Alias("KeepAlive")]
    Task KeepAliveAsync(CancellationToken cancellationToken = default);

    /// <summary>Applies the lifecycle policy that is due now, if any (what the sandbox's reminder does when it fires).</summary>
    [Alias("ApplyPolicies"), OneWay]
    Task ApplyPoliciesAsync();

    /// <summary>
    /// Hands this warm pool's sandbox to a caller's create: its daemon must answer, then it takes the claim's name, labels,
    /// environment and policies and is started. Not pooled (or already claimed): <c>invalid_state</c>; a daemon that does
    /// not answer puts it in error (its pool replaces it) and throws.
    /// </summary>
    [Alias("Claim"), ResponseTimeout("00:00:30")]
    Task<SandboxInfo> ClaimAsync(SandboxClaim claim, CancellationToken cancellationToken = default);

    /// <summary>Runs the background part of a create started with wait = false.</summary>
    [Alias("Provision"), OneWay]
    Task ProvisionAsync();
}
