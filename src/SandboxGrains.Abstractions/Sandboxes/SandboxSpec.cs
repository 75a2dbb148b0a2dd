using SandboxGrains.Runners;

namespace SandboxGrains.Sandboxes;

/// <summary>A validated request for a new sandbox (the API checks ranges before a grain sees it).</summary>
[GenerateSerializer, Immutable, Alias("sandboxgrains.SandboxSpec")]
public sealed record SandboxSpec
{
    /// <summary>Image reference; pulled onto the chosen runner when it is not there. Replaced by the snapshot's image for a create from a snapshot.</summary>
    [Id(0)] public required string Image { get; init; }

    /// <summary>Display name; defaults to the id.</summary>
    [Id(1)] public string? Name { get; init; }

    /// <summary>Environment variables for the image's command and every toolbox process.</summary>
    [Id(2)] public IReadOnlyDictionary<string, string> Env { get; init; } = new Dictionary<string, string>();

    /// <summary>The caller's own labels, for filtering lists.</summary>
    [Id(3)] public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();

    /// <summary>CPU cores.</summary>
    [Id(4)] public double Cpu { get; init; } = 1;

    /// <summary>Memory limit in MiB.</summary>
    [Id(5)] public long MemoryMb { get; init; } = 1024;

    /// <summary>The daemon's work directory; null takes the image's, else <c>/</c>.</summary>
    [Id(6)] public string? WorkDir { get; init; }

    /// <summary>User the container runs as; null keeps the image's.</summary>
    [Id(7)] public string? User { get; init; }

    /// <summary>How the daemon gets in.</summary>
    [Id(8)] public InjectionMode Injection { get; init; } = InjectionMode.Mount;

    /// <summary>Command replacing the image's cmd; null keeps it.</summary>
    [Id(9)] public IReadOnlyList<string>? Cmd { get; init; }

    /// <summary>Maximum number of processes.</summary>
    [Id(10)] public long PidsLimit { get; init; } = 4096;

    /// <summary>Auto-stop, auto-archive, auto-delete and TTL.</summary>
    [Id(11)] public SandboxPolicies Policies { get; init; } = SandboxPolicies.Default;

    /// <summary>The warm pool this sandbox is made for (it waits <see cref="SandboxState.Pooled"/> until claimed); null for a sandbox made for a caller.</summary>
    [Id(12)] public string? PoolId { get; init; }

    /// <summary>Named volumes to mount; the sandbox goes to the runner that holds them.</summary>
    [Id(13)] public IReadOnlyList<Volumes.VolumeMount> Volumes { get; init; } = [];

    /// <summary>The snapshot to start from (its image replaces <see cref="Image"/>); null for a create from an image.</summary>
    [Id(14)] public string? Snapshot { get; init; }

    /// <summary>The resources a runner must reserve for this sandbox.</summary>
    public RunnerResources Resources => new(Cpu, MemoryMb, 1);
}
