using SandboxGrains.Images;
using SandboxGrains.Runners;

namespace SandboxGrains.Sandboxes;

/// <summary>A sandbox as the API and the clients show it.</summary>
[GenerateSerializer, Immutable, Alias("sandboxgrains.SandboxInfo")]
public sealed record SandboxInfo
{
    [Id(0)] public required string Id { get; init; }
    [Id(1)] public required string Name { get; init; }
    [Id(2)] public required SandboxState State { get; init; }
    [Id(3)] public string? ErrorReason { get; init; }
    [Id(4)] public required string Image { get; init; }
    [Id(5)] public string? RunnerId { get; init; }
    [Id(6)] public string? ContainerId { get; init; }
    [Id(7)] public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();
    [Id(8)] public IReadOnlyDictionary<string, string> Env { get; init; } = new Dictionary<string, string>();
    [Id(9)] public double Cpu { get; init; }
    [Id(10)] public long MemoryMb { get; init; }
    [Id(11)] public string? WorkDir { get; init; }
    [Id(12)] public string? DaemonVersion { get; init; }
    [Id(13)] public InjectionMode Injection { get; init; }
    [Id(14)] public bool Adopted { get; init; }
    [Id(15)] public DateTimeOffset CreatedAt { get; init; }
    [Id(16)] public DateTimeOffset UpdatedAt { get; init; }
    [Id(17)] public string? User { get; init; }
    [Id(18)] public DateTimeOffset? LastActivityAt { get; init; }

    /// <summary>How the sandbox's runner looks from the answering silo when the sandbox was read; never stored.</summary>
    [Id(19)] public RunnerStatus? RunnerStatus { get; init; }

    /// <summary>What happens to the sandbox when nobody uses it.</summary>
    [Id(20)] public SandboxPolicies Policies { get; init; } = SandboxPolicies.Default;

    /// <summary>When the sandbox entered its current state (null for records written before this was kept).</summary>
    [Id(21)] public DateTimeOffset? StateSince { get; init; }

    /// <summary>Its last change of state and why.</summary>
    [Id(22)] public SandboxTransition? LastTransition { get; init; }

    /// <summary>The warm pool it waits in while unclaimed; null once claimed, and for every sandbox made for a caller.</summary>
    [Id(23)] public string? PoolId { get; init; }

    /// <summary>How far the pull of its image has come while it is <see cref="SandboxState.Pulling"/>; never stored.</summary>
    [Id(24)] public PullProgress? Pull { get; init; }

    /// <summary>The named volumes it mounts.</summary>
    [Id(25)] public IReadOnlyList<Volumes.VolumeMount> Volumes { get; init; } = [];

    /// <summary>The snapshot it was created from; null for one created from an image.</summary>
    [Id(26)] public string? Snapshot { get; init; }
}
