namespace SandboxGrains.Grains.Runners;

/// <summary>Which runner this silo owns (its Docker engine), or none for a front-end-only silo.</summary>
/// <param name="RunnerId">The runner id, or null.</param>
public sealed record LocalRunner(string? RunnerId)
{
    /// <summary>The silo metadata key that names a silo's runner; the placement director reads it on every silo.</summary>
    public const string MetadataKey = "sandboxgrains.runner-id";
}
