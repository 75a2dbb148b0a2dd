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
        if (!WarmPoolSpec.CanServe(spec)
            || await grains.GetGrain<IWarmPoolRegistryGrain>(IWarmPoolRegistryGrain.Key).FindAsync(WarmPoolSpec.KindOf(spec), cancellationToken) is not { } poolId)
        {
            return null;
        }

        var pool = grains.GetGrain<IWarmPoolGrain>(poolId);
        var claim = SandboxClaim.For(spec, now);
        for (var attempt = 0; attempt < Attempts; attempt++)
        {
            if (await pool.TakeAsync(cancellationToken) is not { } sandboxId)
            {
                return null;
            }

            try
            {
                return await grains.GetGrain<ISandboxGrain>(sandboxId).ClaimAsync(claim, cancellationToken);
            }
            catch (SandboxException)
            {
                // That one was not fit to hand out; it is in error now and its pool replaces it. Try the next.
            }
        }

        return null;
    }
}
