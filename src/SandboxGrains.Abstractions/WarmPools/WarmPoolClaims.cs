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
