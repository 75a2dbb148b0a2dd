using SandboxGrains.Previews;

namespace SandboxGrains.Grains.Sandboxes;

/// <summary>
/// A sandbox's preview links as its grain keeps them, by token hash in the sandbox's record: made, listed, revoked, held
/// to a limit, and forgotten a while after they expire. The sandbox grain is the only one that grants or revokes a link,
/// so its list and the preview grains agree; it runs these one call at a time, and checks first that the sandbox exists.
/// </summary>
internal sealed class SandboxPreviews(IPersistentState<SandboxRecord> state, IGrainFactory grains, TimeProvider time, int daemonPort)
{
    /// <summary>More live links than this on one sandbox is a leak in the caller, not a use.</summary>
    internal const int MaxPreviews = 100;

    /// <summary>Expired links answer 410 for this long, then are dropped.</summary>
    internal static readonly TimeSpan ExpiredRetention = TimeSpan.FromDays(1);

    // Read through the state each time: the grain replaces the whole record when a sandbox is created or forgotten.
    private List<PreviewRecord> Records => state.State.Previews;

    /// <summary>Makes a link to <paramref name="port"/> of sandbox <paramref name="sandboxId"/>; the answer holds the only copy of its token.</summary>
    public Task<IssuedPreview> CreateAsync(string sandboxId, int port, TimeSpan? expiresIn) =>
        IssueAsync(sandboxId, port, expiresIn, PreviewTokens.New());

    /// <summary>
    /// The sandbox's standing link to <paramref name="port"/>, made on the first call: its token is derived from the
    /// sandbox's <paramref name="secret"/>, so every call answers the same link while the sandbox keeps only its hash.
    /// <c>Created</c> says whether this call made it.
    /// </summary>
    public async Task<(IssuedPreview Issued, bool Created)> GetOrCreateStandingAsync(string sandboxId, int port, string secret)
    {
        var token = PreviewTokens.Derive(secret, $"standing-preview:{port.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
        var hash = PreviewTokens.Hash(token);
        return Records.Find(p => p.TokenHash == hash) is { } existing
            ? (new IssuedPreview(token, existing), false)
            : (await IssueAsync(sandboxId, port, expiresIn: null, token), true);
    }

    private async Task<IssuedPreview> IssueAsync(string sandboxId, int port, TimeSpan? expiresIn, string token)
    {
        if (port is < 1 or > 65535)
        {
            throw new SandboxException(SandboxErrorCodes.InvalidRequest, $"port: {port} is not a port; it must be from 1 to 65535");
        }

        if (port == daemonPort)
        {
            throw new SandboxException(SandboxErrorCodes.InvalidRequest, $"port: {port} is the sandbox daemon's own port and cannot be previewed");
        }

        if (expiresIn is { } lifetime && lifetime <= TimeSpan.Zero)
        {
            throw new SandboxException(SandboxErrorCodes.InvalidRequest, "expiresInSeconds: must be positive");
        }

        var now = time.GetUtcNow();
        foreach (var stale in Records.Where(p => p.Grant.ExpiresAt is { } expires && now - expires > ExpiredRetention).ToList())
        {
            await Preview(stale.TokenHash).RevokeAsync();
            Records.Remove(stale);
        }

        if (Records.Count >= MaxPreviews)
        {
            throw new SandboxException(
                SandboxErrorCodes.PreviewLimitReached, $"sandbox {sandboxId} already has {MaxPreviews} preview links; revoke some first");
        }

        var record = new PreviewRecord(PreviewTokens.Hash(token), new PreviewGrant(sandboxId, port, now, now + expiresIn));

        // The sandbox records the link before the link exists, so a failure in between leaves a record to revoke, never
        // a working link the sandbox does not know about.
        Records.Add(record);
        await state.WriteStateAsync();
        await Preview(record.TokenHash).GrantAsync(record.Grant);
        return new IssuedPreview(token, record);
    }

    /// <summary>The links, live and recently expired.</summary>
    public IReadOnlyList<PreviewRecord> List() => [.. Records];

    /// <summary>Revokes one link by its token's hash or its public id; the link revoked, or null when there is no such link.</summary>
    public async Task<PreviewRecord?> RevokeAsync(string tokenHashOrId)
    {
        var record = Records.Find(p => p.TokenHash == tokenHashOrId || p.Id == tokenHashOrId);
        if (record is null)
        {
            return null;
        }

        await Preview(record.TokenHash).RevokeAsync();
        Records.Remove(record);
        await state.WriteStateAsync();
        return record;
    }

    /// <summary>Revokes every link, for a sandbox being deleted; its record goes with the sandbox's.</summary>
    public Task RevokeAllAsync() => Task.WhenAll(Records.Select(p => Preview(p.TokenHash).RevokeAsync()));

    private IPreviewGrain Preview(string tokenHash) => grains.GetGrain<IPreviewGrain>(tokenHash);
}
