namespace SandboxGrains.Grains.Snapshots;

/// <summary>Where snapshots are kept (section <c>Snapshots</c>).</summary>
public sealed class SnapshotOptions
{
    public const string SectionName = "Snapshots";

    /// <summary>
    /// The registry snapshots are pushed to (<c>host[:port]</c>; its credentials under <c>Registries</c>), so any runner
    /// can start them. Empty: a snapshot stays on the runner it was taken on, and creates from it go there.
    /// </summary>
    public string? Registry { get; set; }
}
