namespace SandboxGrains.Previews;

/// <summary>
/// One preview link (key = SHA-256 of its token, see <see cref="PreviewTokens.Hash"/>). Front ends resolve tokens here;
/// the sandbox grain that owns the link is the only one that grants or revokes it.
/// </summary>
[Alias("sandboxgrains.IPreviewGrain")]
public interface IPreviewGrain : IGrainWithStringKey
{
    /// <summary>What the token opens, or null for a token that was never granted or has been revoked.</summary>
    [Alias("Get"), ReadOnly]
    Task<PreviewGrant?> GetAsync(CancellationToken cancellationToken = default);

    /// <summary>Records the grant; called by the owning sandbox grain.</summary>
    [Alias("Grant")]
    Task GrantAsync(PreviewGrant grant, CancellationToken cancellationToken = default);

    /// <summary>Forgets the grant and tells every silo's front end to drop it at once.</summary>
    [Alias("Revoke")]
    Task RevokeAsync(CancellationToken cancellationToken = default);
}
