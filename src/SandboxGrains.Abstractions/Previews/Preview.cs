namespace SandboxGrains.Previews;

/// <summary>
/// A preview link on the wire. <see cref="Token"/>, <see cref="Url"/> and <see cref="HostUrl"/> are only known when the
/// link is made (the cluster keeps a hash of the token, not the token); listings show the rest.
/// </summary>
/// <param name="Id">Public id (start of the token's hash), for listing and revoking without the token.</param>
/// <param name="Token">The credential; present only in the answer that made it.</param>
/// <param name="SandboxId">The sandbox.</param>
/// <param name="Port">The port inside the sandbox.</param>
/// <param name="Url">Path form: <c>{publicBaseUrl}/preview/{token}/</c>.</param>
/// <param name="HostUrl">Host form: <c>{scheme}://{port}-{token}.{previewDomain}:{listenPort}/</c>.</param>
/// <param name="CreatedAt">When it was made.</param>
/// <param name="ExpiresAt">When it stops working; null for never.</param>
public sealed record Preview(
    string Id,
    string? Token,
    string SandboxId,
    int Port,
    string? Url,
    string? HostUrl,
    DateTimeOffset CreatedAt,
    DateTimeOffset? ExpiresAt)
{
    /// <summary>A listed preview: no token, so no URLs.</summary>
    public static Preview From(PreviewRecord record) =>
        new(record.Id, null, record.Grant.SandboxId, record.Grant.Port, null, null, record.Grant.CreatedAt, record.Grant.ExpiresAt);
}

/// <summary><c>POST /api/v1/sandboxes/{id}/previews</c> body.</summary>
public sealed record CreatePreviewRequest
{
    /// <summary>The port inside the sandbox (1–65535, not the daemon's own).</summary>
    public int? Port { get; init; }

    /// <summary>Seconds until the link stops working; omitted: it works until revoked or the sandbox is deleted.</summary>
    public long? ExpiresInSeconds { get; init; }
}

/// <summary>A list of previews: <c>{items}</c>.</summary>
public sealed record PreviewList(IReadOnlyList<Preview> Items);
