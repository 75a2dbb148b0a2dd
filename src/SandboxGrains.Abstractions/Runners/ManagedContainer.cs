namespace SandboxGrains.Runners;

/// <summary>
/// A container of a sandbox on this runner (labelled at create, or carrying an adoption marker): which sandbox it belongs
/// to. For an archived sandbox, which has no container, <see cref="ContainerId"/> is its archive image and
/// <see cref="State"/> is <see cref="Archived"/>.
/// </summary>
[GenerateSerializer, Immutable, Alias("sandboxgrains.ManagedContainer")]
public sealed record ManagedContainer(
    [property: Id(0)] string SandboxId,
    [property: Id(1)] string ContainerId,
    [property: Id(2)] string State)
{
    /// <summary>The <see cref="State"/> of an archived sandbox's entry.</summary>
    public const string Archived = "archived";

    public bool IsArchive => State == Archived;
}
