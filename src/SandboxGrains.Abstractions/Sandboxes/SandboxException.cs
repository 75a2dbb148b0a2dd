using Orleans.Runtime;

namespace SandboxGrains.Sandboxes;

/// <summary>
/// A sandbox operation that failed for a reason the caller can act on. <see cref="Code"/> is the stable string the HTTP
/// API returns (<see cref="SandboxErrorCodes"/>); the message says what happened in words.
/// </summary>
[GenerateSerializer, Alias("sandboxgrains.SandboxException")]
public sealed class SandboxException : Exception
{
    public SandboxException() : this(SandboxErrorCodes.Failed, "sandbox operation failed") { }

    public SandboxException(string message) : this(SandboxErrorCodes.Failed, message) { }

    public SandboxException(string message, Exception? inner) : base(message, inner) => Code = SandboxErrorCodes.Failed;

    public SandboxException(string code, string message, Exception? inner = null) : base(message, inner) => Code = code;

    /// <summary>Stable machine-readable reason.</summary>
    [Id(0)]
    public string Code { get; private set; }
}

/// <summary>The error codes sandbox operations use; the API maps each to an HTTP status in one place.</summary>
public static class SandboxErrorCodes
{
    public const string NotFound = "sandbox_not_found";
    public const string InvalidRequest = "invalid_request";
    public const string ImageNotFound = "image_not_found";

    /// <summary>A pull failed for a reason other than a missing image: the registry refused us or could not be reached.</summary>
    public const string ImagePullFailed = "image_pull_failed";

    /// <summary>An image a sandbox's container uses, or that is an archive or a snapshot of ours.</summary>
    public const string ImageInUse = "image_in_use";
    public const string ContainerNotFound = "container_not_found";
    public const string AlreadyManaged = "container_already_managed";
    public const string NoCapacity = "no_capacity";
    public const string InvalidState = "invalid_state";
    public const string RunnerUnreachable = "runner_unreachable";
    public const string DockerUnavailable = "docker_unavailable";
    public const string DaemonUnreachable = "daemon_unreachable";
    public const string Failed = "sandbox_failed";
    public const string PreviewNotFound = "preview_not_found";
    public const string PreviewExpired = "preview_expired";
    public const string PreviewLimitReached = "preview_limit_reached";
    public const string SandboxNotStarted = "sandbox_not_started";
    public const string SandboxStarting = "sandbox_starting";
    public const string PortUnreachable = "port_unreachable";
    public const string ClusterUnavailable = "cluster_unavailable";
    public const string WarmPoolNotFound = "warm_pool_not_found";
    public const string VolumeNotFound = "volume_not_found";
    public const string SnapshotNotFound = "snapshot_not_found";

    /// <summary>A snapshot of that name exists already.</summary>
    public const string SnapshotExists = "snapshot_exists";

    /// <summary>A snapshot a create is being made from (deleting it would pull the image from under that create).</summary>
    public const string SnapshotInUse = "snapshot_in_use";

    /// <summary>A volume of that name exists already.</summary>
    public const string VolumeExists = "volume_exists";

    /// <summary>A volume some sandbox's container still mounts (deleting it would take its data from under it).</summary>
    public const string VolumeInUse = "volume_in_use";

    /// <summary>A warm pool larger than the room the cluster's runners have left (or a second pool of one kind).</summary>
    public const string WarmPoolConflict = "warm_pool_conflict";

    /// <summary>What callers are told while <see cref="IsClusterChurn"/> failures last.</summary>
    public const string ClusterUnavailableMessage = "the cluster is re-forming after a silo change; retry shortly";

    /// <summary>The HTTP status each code stands for (400, 404, 409, 410, 502, 503).</summary>
    public static int HttpStatus(string code) => code switch
    {
        NotFound or ContainerNotFound or PreviewNotFound or WarmPoolNotFound or VolumeNotFound or SnapshotNotFound => 404,
        InvalidRequest or ImageNotFound => 400,
        InvalidState or AlreadyManaged or PreviewLimitReached or SandboxNotStarted or WarmPoolConflict or VolumeExists or VolumeInUse or SnapshotExists or SnapshotInUse or ImageInUse => 409,
        PreviewExpired => 410,
        NoCapacity or RunnerUnreachable or DockerUnavailable or SandboxStarting or ClusterUnavailable => 503,
        _ => 502,
    };

    /// <summary>
    /// Grain-call failures that mean the cluster is re-forming (a silo just died or left, a connection to it broke) and go
    /// away once membership settles: the API and both clients answer them with a retryable <see cref="ClusterUnavailable"/>.
    /// </summary>
    public static bool IsClusterChurn(Exception e) =>
        e is SiloUnavailableException or OrleansMessageRejectionException or TimeoutException
            or Orleans.Runtime.Messaging.ConnectionFailedException;
}
