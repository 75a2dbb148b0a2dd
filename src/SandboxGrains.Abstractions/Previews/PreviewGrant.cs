namespace SandboxGrains.Previews;

/// <summary>What a preview token opens: one port of one sandbox, until it expires or is revoked.</summary>
/// <param name="SandboxId">The sandbox.</param>
/// <param name="Port">The port inside the sandbox.</param>
/// <param name="CreatedAt">When the link was made.</param>
/// <param name="ExpiresAt">When the link stops working; null for never (until revoked or the sandbox is deleted).</param>
[GenerateSerializer, Immutable, Alias("sandboxgrains.PreviewGrant")]
public sealed record PreviewGrant(
    [property: Id(0)] string SandboxId,
    [property: Id(1)] int Port,
    [property: Id(2)] DateTimeOffset CreatedAt,
    [property: Id(3)] DateTimeOffset? ExpiresAt)
{
    /// <summary>True once the link no longer works because its time ran out.</summary>
    public bool IsExpired(DateTimeOffset now) => ExpiresAt is { } expires && now >= expires;
}

/// <summary>A preview as its sandbox keeps it: the token's hash, never the token.</summary>
[GenerateSerializer, Immutable, Alias("sandboxgrains.PreviewRecord")]
public sealed record PreviewRecord(
    [property: Id(0)] string TokenHash,
    [property: Id(1)] PreviewGrant Grant)
{
    /// <summary>The preview's public id (see <see cref="PreviewTokens.IdOf"/>).</summary>
    public string Id => PreviewTokens.IdOf(TokenHash);
}

/// <summary>A preview just made: the only moment its token exists outside the caller.</summary>
[GenerateSerializer, Immutable, Alias("sandboxgrains.IssuedPreview")]
public sealed record IssuedPreview(
    [property: Id(0)] string Token,
    [property: Id(1)] PreviewRecord Record);
