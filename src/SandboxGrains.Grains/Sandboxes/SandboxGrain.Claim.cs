namespace SandboxGrains.Grains.Sandboxes;

/// <summary>
/// The sandbox grain's part in warm pools: a sandbox made for a pool waits <see cref="SandboxState.Pooled"/> (serving,
/// health-checked, not listed) until a create claims it; then it takes the caller's name, labels, environment and
/// policies and is an ordinary started sandbox. Its pool (<see cref="IWarmPoolGrain"/>) hears when it is claimed, lost or
/// found again after a restart.
/// </summary>
internal sealed partial class SandboxGrain
{
    public Task<SandboxInfo> ClaimAsync(SandboxClaim claim, CancellationToken cancellationToken) =>
        Telemetry.SandboxOperations.MeasureAsync("claim", Id, () => ClaimCoreAsync(claim));

    private async Task<SandboxInfo> ClaimCoreAsync(SandboxClaim claim)
    {
        var info = Info;
        if (info is not { State: SandboxState.Pooled, PoolId: { } poolId, ContainerId: { } containerId })
        {
            throw new SandboxException(SandboxErrorCodes.InvalidState, $"sandbox {Id} is not waiting in a warm pool (state {Name(info.State)})");
        }

        try
        {
            // Runs to the end once begun: cut short, the claim file might be written for a sandbox still shown as pooled.
            var serving = await Runner(info.RunnerId).ClaimSandboxContainerAsync(containerId, claim, Launch(info), CancellationToken.None);
            state.State.DaemonAddress = serving.DaemonAddress;
        }
        catch (SandboxException e)
        {
            // Never handed out broken: in error, its pool removes it and makes another.
            await UpdateAsync(Info with { State = SandboxState.Error, ErrorReason = $"could not be claimed from its warm pool: {e.Message}" });
            throw;
        }

        var claimed = await UpdateAsync(
            Claimed(Info, claim) with { State = SandboxState.Started },
            $"claimed from warm pool {poolId}");
        await Pool(poolId).MemberClaimedAsync(Id);
        return Shown(claimed);
    }

    /// <summary>A pooled sandbox as the caller who claimed it asked for it (also how a rebuilt one reads its claim file).</summary>
    internal static SandboxInfo Claimed(SandboxInfo pooled, SandboxClaim claim) => pooled with
    {
        PoolId = null,
        Name = claim.Name ?? pooled.Id,
        Labels = claim.Labels,
        Env = new Dictionary<string, string>(pooled.Env.Concat(claim.Env).GroupBy(e => e.Key).Select(g => g.Last())),
        Policies = claim.Policies,

        // For the caller the sandbox begins now: its TTL and idle time count from the claim.
        CreatedAt = claim.ClaimedAt,
        LastActivityAt = claim.ClaimedAt,
    };
}
