namespace SandboxGrains.Docker;

/// <summary>
/// The container operations the cluster needs from one Docker engine. Grains see only this interface, so their logic
/// can be tested against a fake while the real implementation is tested against a real engine.
/// </summary>
public interface IContainerRuntime
{
    /// <summary>The endpoint this runtime talks to, e.g. <c>unix:///var/run/docker.sock</c>.</summary>
    string Endpoint { get; }

    /// <summary>Checks the engine answers; throws <see cref="DockerUnavailableException"/> with the reason when not.</summary>
    Task PingAsync(CancellationToken cancellationToken = default);

    /// <summary>The engine's version and the machine's CPU and memory as Docker sees them.</summary>
    Task<EngineInfo> GetEngineInfoAsync(CancellationToken cancellationToken = default);

    /// <summary>Inspects an image present on the engine; null when it is not there.</summary>
    Task<ImageDetails?> InspectImageAsync(string image, CancellationToken cancellationToken = default);

    /// <summary>
    /// Pulls an image from its registry (with <paramref name="auth"/> when given), reporting progress as layers arrive.
    /// Throws <see cref="RegistryException"/> saying whether the image is missing, the registry refused us, or it could
    /// not be reached.
    /// </summary>
    Task PullImageAsync(string image, RegistryAuth? auth, IProgress<Images.PullProgress>? progress, CancellationToken cancellationToken = default);

    /// <summary>Gives a local image another tag (<c>registry/repository:tag</c>), replacing that tag where it was.</summary>
    Task TagImageAsync(string image, string newTag, CancellationToken cancellationToken = default);

    /// <summary>Pushes a local image (<c>registry/repository:tag</c>) to its registry; throws <see cref="RegistryException"/> naming a refusal.</summary>
    Task PushImageAsync(string image, RegistryAuth? auth, CancellationToken cancellationToken = default);

    /// <summary>Creates a bridge network with inter-container traffic disabled, unless one of that name exists.</summary>
    Task EnsureIsolatedNetworkAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>
    /// Commits a container's filesystem and configuration to an image tagged <paramref name="image"/> (<c>repo:tag</c>),
    /// with <paramref name="labels"/> over the container's own; returns the image id.
    /// </summary>
    Task<string> CommitContainerAsync(string container, string image, IReadOnlyDictionary<string, string> labels, CancellationToken cancellationToken = default);

    /// <summary>The same, with <paramref name="command"/> as the image's whole command (no entrypoint) when given.</summary>
    Task<string> CommitContainerAsync(
        string container, string image, IReadOnlyDictionary<string, string> labels, IReadOnlyList<string>? command, CancellationToken cancellationToken = default);

    /// <summary>
    /// Removes an image tag, and the image and its untagged parents when nothing else uses them. True when it is gone (or
    /// was never there); false when a container still uses it, and it stays.
    /// </summary>
    Task<bool> RemoveImageAsync(string image, CancellationToken cancellationToken = default);

    /// <summary>The images that carry every given label (all of them for none), with their tags (<c>repo:tag</c>).</summary>
    Task<IReadOnlyList<ImageSummary>> ListImagesAsync(IReadOnlyDictionary<string, string> labels, CancellationToken cancellationToken = default);

    /// <summary>Creates a named volume with the given labels (the engine returns the existing one when the name is taken).</summary>
    Task<VolumeSummary> CreateVolumeAsync(string name, IReadOnlyDictionary<string, string> labels, CancellationToken cancellationToken = default);

    /// <summary>A named volume; null when the engine has none of that name.</summary>
    Task<VolumeSummary?> InspectVolumeAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>The volumes that carry every given label.</summary>
    Task<IReadOnlyList<VolumeSummary>> ListVolumesAsync(IReadOnlyDictionary<string, string> labels, CancellationToken cancellationToken = default);

    /// <summary>Removes a volume and its data; a missing one is fine; one still mounted throws <see cref="VolumeInUseException"/>.</summary>
    Task RemoveVolumeAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>Creates (does not start) a container; returns its id.</summary>
    Task<string> CreateContainerAsync(ContainerSpec spec, CancellationToken cancellationToken = default);

    /// <summary>Starts a container; starting a running one does nothing.</summary>
    Task StartContainerAsync(string container, CancellationToken cancellationToken = default);

    /// <summary>Starts a container made with <see cref="ContainerSpec.OpenStdin"/> and writes <paramref name="input"/> to its main process's stdin, then closes it.</summary>
    Task StartContainerAsync(string container, ReadOnlyMemory<byte> input, CancellationToken cancellationToken = default);

    /// <summary>Stops a container, killing it after the grace period; stopping a stopped one does nothing.</summary>
    Task StopContainerAsync(string container, TimeSpan gracePeriod, CancellationToken cancellationToken = default);

    /// <summary>Removes a container, running or not; removing a missing one does nothing.</summary>
    Task RemoveContainerAsync(string container, CancellationToken cancellationToken = default);

    /// <summary>Inspects a container; null when it does not exist.</summary>
    Task<ContainerDetails?> InspectContainerAsync(string container, CancellationToken cancellationToken = default);

    /// <summary>Lists containers, running or not, that carry every given label (<c>key</c> → <c>value</c>).</summary>
    Task<IReadOnlyList<ContainerSummary>> ListContainersAsync(
        IReadOnlyDictionary<string, string> labels, CancellationToken cancellationToken = default);

    /// <summary>Runs a command in a running container and collects its output and exit code.</summary>
    Task<ExecResult> ExecAsync(string container, ExecRequest request, CancellationToken cancellationToken = default);

    /// <summary>Copies files into a folder of the container (created when missing) through Docker's archive API.</summary>
    Task CopyToContainerAsync(
        string container, string targetFolder, IEnumerable<ArchiveFile> files, CancellationToken cancellationToken = default);

    /// <summary>Reads one file out of a container (running or not) through Docker's archive API; null when it does not exist.</summary>
    Task<byte[]?> ReadFileAsync(string container, string path, CancellationToken cancellationToken = default);

    /// <summary>
    /// Follows the engine's container events for containers carrying every given label, until cancelled. Ends (throws)
    /// when the engine connection drops; callers reconnect.
    /// </summary>
    IAsyncEnumerable<ContainerEvent> WatchEventsAsync(
        IReadOnlyDictionary<string, string> labels, CancellationToken cancellationToken = default);
}
