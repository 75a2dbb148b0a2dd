namespace SandboxGrains;

/// <summary>Names of the grain storage providers; the silo registers them and grains ask for them by these names.</summary>
public static class StorageNames
{
    /// <summary>One record per sandbox, owned by its <c>SandboxGrain</c>.</summary>
    public const string Sandboxes = "sandboxes";

    /// <summary>Runner bookkeeping: allocations per runner and the registry of known runners.</summary>
    public const string Runners = "runners";

    /// <summary>Warm pools and their registry. Kept on disk (in <c>Silo:DataDirectory</c>) by an embedded silo too: a pool is the operator's configuration, which no container carries.</summary>
    public const string WarmPools = "warm-pools";

    /// <summary>Snapshots and their registry. Kept on disk by an embedded silo too: a snapshot's state and holders are nowhere else.</summary>
    public const string Snapshots = "snapshots";

    /// <summary>Where each named volume is. An embedded silo keeps it in memory: the volumes' Docker labels say it again after a restart.</summary>
    public const string Volumes = "volumes";
}
