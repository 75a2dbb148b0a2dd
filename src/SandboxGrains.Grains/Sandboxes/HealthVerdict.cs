namespace SandboxGrains.Grains.Sandboxes;

/// <summary>What one look at a sandbox's container means for the sandbox (see <see cref="SandboxHealth"/>).</summary>
internal abstract record HealthVerdict
{
    /// <summary>Nothing to record: the engine could not be asked, or a silent daemon has checks left.</summary>
    public static HealthVerdict Unchanged { get; } = new Keep();

    /// <summary>The container runs and its daemon answered.</summary>
    public sealed record Serving(SandboxContainer Container) : HealthVerdict;

    /// <summary>
    /// The sandbox is now <paramref name="Info"/>. When the container no longer runs, its daemon's address means nothing
    /// any more and is dropped.
    /// </summary>
    public sealed record Changed(SandboxInfo Info, bool ContainerRuns) : HealthVerdict;

    private sealed record Keep : HealthVerdict;
}
