namespace SandboxGrains;

/// <summary>
/// Keys of the Docker labels every managed container carries; reconciliation and event filters depend on them. Their values
/// are written and read in one place, <see cref="SandboxLabels"/>.
/// </summary>
public static class ContainerLabels
{
    /// <summary>The sandbox id the container belongs to.</summary>
    public const string SandboxId = "sandboxgrains.sandbox-id";

    /// <summary>The runner (Docker host) that owns the container.</summary>
    public const string RunnerId = "sandboxgrains.runner-id";

    /// <summary>Marks containers the cluster created or adopted; value <c>true</c>.</summary>
    public const string Managed = "sandboxgrains.managed";

    /// <summary>The sandbox's display name.</summary>
    public const string Name = "sandboxgrains.name";

    /// <summary>The injection mode the daemon came in by.</summary>
    public const string Injection = "sandboxgrains.injection";

    /// <summary>The daemon's work directory.</summary>
    public const string WorkDir = "sandboxgrains.work-dir";

    /// <summary>When the sandbox was created (round-trip date format).</summary>
    public const string CreatedAt = "sandboxgrains.created-at";

    /// <summary>Reserved CPU cores.</summary>
    public const string Cpu = "sandboxgrains.cpu";

    /// <summary>Reserved memory in MiB.</summary>
    public const string MemoryMb = "sandboxgrains.memory-mb";

    /// <summary>The lifecycle policies at create, so a grain that lost its state keeps them: minutes, empty for "never".</summary>
    public const string AutoStopMinutes = "sandboxgrains.auto-stop-minutes";

    /// <summary>See <see cref="AutoStopMinutes"/>.</summary>
    public const string AutoArchiveMinutes = "sandboxgrains.auto-archive-minutes";

    /// <summary>See <see cref="AutoStopMinutes"/>.</summary>
    public const string AutoDeleteMinutes = "sandboxgrains.auto-delete-minutes";

    /// <summary>See <see cref="AutoStopMinutes"/>.</summary>
    public const string TtlMinutes = "sandboxgrains.ttl-minutes";

    /// <summary>The image the sandbox was created from (a restored sandbox's container runs from its archive image).</summary>
    public const string Image = "sandboxgrains.image";

    /// <summary>The warm pool the sandbox was made for; a claimed one also carries a claim file (see <c>SandboxClaim</c>).</summary>
    public const string PoolId = "sandboxgrains.pool-id";

    /// <summary>On a snapshot's image: the snapshot's name.</summary>
    public const string Snapshot = "sandboxgrains.snapshot";

    /// <summary>The named volumes the sandbox mounts, as JSON (<c>[{"name","mountPath","readOnly"}]</c>); empty for none.</summary>
    public const string Volumes = "sandboxgrains.volumes";

    /// <summary>Prefix of the caller's own labels, copied onto the container so they survive a lost grain state.</summary>
    public const string UserLabelPrefix = "sandboxgrains.label.";
}
