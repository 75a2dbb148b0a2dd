using SandboxGrains.Grains.Routing;
using SandboxGrains.Previews;

namespace SandboxGrains.Grains.Previews;

/// <summary>
/// One preview link, keyed by its token's hash so neither the key nor the stored state reveals the token. A lookup of a
/// token that was never granted leaves no activation behind: guessing tokens costs the guesser, not our memory.
/// </summary>
internal sealed class PreviewGrain(
    [PersistentState("preview", StorageNames.Sandboxes)] IPersistentState<PreviewState> state,
    RouteInvalidation invalidation) : Grain, IPreviewGrain
{
    public Task<PreviewGrant?> GetAsync(CancellationToken cancellationToken)
    {
        if (state.State.Grant is null)
        {
            this.DeactivateOnIdle();
        }

        return Task.FromResult(state.State.Grant);
    }

    public async Task GrantAsync(PreviewGrant grant, CancellationToken cancellationToken)
    {
        state.State.Grant = grant;

        // Writes run to the end even for a caller that gave up: cut short, memory and storage would disagree.
        await state.WriteStateAsync(CancellationToken.None);
    }

    public async Task RevokeAsync(CancellationToken cancellationToken)
    {
        if (state.State.Grant is not null)
        {
            await state.ClearStateAsync(CancellationToken.None);
            state.State = new PreviewState();
        }

        await invalidation.PreviewRevokedAsync(this.GetPrimaryKeyString());
        this.DeactivateOnIdle();
    }
}

/// <summary>What a preview grain persists.</summary>
[GenerateSerializer, Alias("sandboxgrains.PreviewState")]
public sealed class PreviewState
{
    [Id(0)]
    public PreviewGrant? Grant { get; set; }
}
