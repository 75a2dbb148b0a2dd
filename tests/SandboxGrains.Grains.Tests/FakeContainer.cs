using SandboxGrains.Runners;
using SandboxGrains.Sandboxes;

namespace SandboxGrains.Grains.Tests;

/// <summary>One container as <see cref="FakeSandboxContainers"/> keeps it; tests change it only through the fake.</summary>
public sealed class FakeContainer
{
    public required string Id { get; init; }

    public required string Name { get; init; }

    public string Image { get; init; } = "sandboxgrains/busybox:latest";

    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();

    public IReadOnlyList<string> Env { get; init; } = [];

    public string? User { get; init; }

    public string? WorkingDir { get; init; }

    /// <summary>The daemon secret found in the container's secret file; null when there is none.</summary>
    public string? Token { get; set; }

    /// <summary>The adoption marker beside the secret, when the container was adopted.</summary>
    public AdoptionMarker? Adoption { get; set; }

    /// <summary>The claim file beside the secret, when a create claimed it from a warm pool.</summary>
    public SandboxClaim? Claim { get; set; }

    public bool Running { get; set; } = true;

    /// <summary>Why it is not running, as the runner words it.</summary>
    public string? ExitReason { get; set; }

    /// <summary>Whether its daemon answers with its secret.</summary>
    public bool DaemonAnswers { get; set; } = true;

    public string Address => $"10.88.0.{(uint)Id.GetHashCode(StringComparison.Ordinal) % 250 + 2}:2280";
}
