using SandboxGrains.Previews;

namespace SandboxGrains.Grains.Sandboxes;

/// <summary>What a sandbox grain persists. No .NET type names are stored: every type carries a stable alias.</summary>
[GenerateSerializer, Alias("sandboxgrains.SandboxRecord")]
public sealed class SandboxRecord
{
    /// <summary>The sandbox as shown; null when there is none (never created, or deleted).</summary>
    [Id(0)]
    public SandboxInfo? Info { get; set; }

    /// <summary>The per-sandbox daemon secret; kept here and in the container only.</summary>
    [Id(1)]
    public string? DaemonToken { get; set; }

    /// <summary>host:port of the daemon while the container runs.</summary>
    [Id(2)]
    public string? DaemonAddress { get; set; }

    /// <summary>The request of a create that returned before finishing (<c>wait=false</c>).</summary>
    [Id(3)]
    public SandboxSpec? PendingSpec { get; set; }

    /// <summary>The sandbox's preview links, by token hash (the tokens themselves are never stored).</summary>
    [Id(4)]
    public List<PreviewRecord> Previews { get; set; } = [];

    /// <summary>The image on its runner the sandbox was last archived to; removed with the sandbox.</summary>
    [Id(5)]
    public string? ArchiveImage { get; set; }

    /// <summary>
    /// The archive's copy in the snapshot registry (when one is configured), from which any runner can restore the
    /// sandbox when its own runner has no room or is gone; deleted from the registry with the sandbox.
    /// </summary>
    [Id(6)]
    public string? ArchiveRemoteImage { get; set; }
}
