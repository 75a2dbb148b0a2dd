using SandboxGrains.Sandboxes;

namespace SandboxGrains.WarmPools;

/// <summary>
/// The first step of every create (HTTP API and grain client alike): a sandbox from the warm pool of its kind, when one
/// is ready. Null means make a cold one: no pool of that kind, an empty pool, or a request a pooled sandbox cannot serve.
/// </summary>
public static class WarmPoolClaims
{
    /// <summary>How many pooled sandboxes a create tries before it makes a cold one (each failed one is replaced).</summary>
    private const int Attempts = 3;

    /// <summary>
    /// Every create, whichever surface asks (native API, grain client, Daytona API): a ready sandbox from the warm pool of
    /// its kind when there is one; else a cold one, returned started or, with <paramref name="wait"/> false, creating.
    /// <paramref name="coldId"/> is the id a cold one gets (default a new one), for a caller that looks at it before the create returns.
    /// </summary>
    public static async Task<SandboxInfo> ClaimOrCreateAsync(
        IGrainFactory grains, SandboxSpec spec, bool wait, DateTimeOffset now, CancellationToken cancellationToken, string? coldId = null) =>
        await TryClaimAsync(grains, spec, now, cancellationToken)
            ?? await grains.GetGrain<ISandboxGrain>(coldId ?? SandboxIds.New()).CreateAsync(spec, wait, CancellationToken.None);

    public static async Task<SandboxInfo?> TryClaimAsync(IGrainFactory grains, SandboxSpec spec, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (!WarmPoolSpec.CanServe(spec))
        {
            return null;
        }

        IWarmPoolGrain pool;
        try
        {
            if (await grains.GetGrain<IWarmPoolRegistryGrain>(IWarmPoolRegistryGrain.Key).FindAsync(WarmPoolSpec.KindOf(spec), cancellationToken) is not { } poolId)
            {
                return null;
            }

            pool = grains.GetGrain<IWarmPoolGrain>(poolId);
        }
        catch (SandboxException)
        {
            // A pool that cannot answer is no reason to fail a create: it is made cold.
            return null;
        }

        var claim = SandboxClaim.For(spec, now);
        for (var attempt = 0; attempt < Attempts; attempt++)
        {
            string? sandboxId;
            try
            {
                sandboxId = await pool.TakeAsync(cancellationToken);
            }
            catch (SandboxException)
            {
                return null;
            }

            if (sandboxId is null)
            {
                return null;
            }

            try
            {
                // Not cancelled by the caller once taken: a claim cut short would leave the sandbox neither the pool's nor the caller's.
                return await grains.GetGrain<ISandboxGrain>(sandboxId).ClaimAsync(claim, CancellationToken.None);
            }
            catch (SandboxException)
            {
                // That one was not fit to hand out; it is in error now and its pool replaces it. Try the next.
            }
        }

        return null;
    }
}
