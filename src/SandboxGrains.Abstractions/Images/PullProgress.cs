namespace SandboxGrains.Images;

/// <summary>
/// How far a pull of an image has come on one runner: layers finished of those the image has, and bytes downloaded of
/// the total known so far (a layer's size becomes known when its download begins, so the total grows early on).
/// </summary>
[GenerateSerializer, Immutable, Alias("sandboxgrains.PullProgress")]
public sealed record PullProgress(
    [property: Id(0)] int LayersDone,
    [property: Id(1)] int LayersTotal,
    [property: Id(2)] long BytesDone,
    [property: Id(3)] long BytesTotal)
{
    /// <summary>Nothing known yet: the engine is asking the registry for the image's manifest.</summary>
    public static readonly PullProgress Starting = new(0, 0, 0, 0);
}
