namespace SandboxGrains.Grains.WarmPools;

/// <summary>Every warm pool and its kind; a create asks it which pool (if any) serves its kind of sandbox.</summary>
internal sealed class WarmPoolRegistryGrain(
    [PersistentState("registry", StorageNames.WarmPools)] IPersistentState<WarmPoolRegistryState> state) : Grain, IWarmPoolRegistryGrain
{
    public async Task<bool> TryAddAsync(string poolId, string kind, CancellationToken cancellationToken)
    {
        if (state.State.Kinds.TryGetValue(poolId, out var known))
        {
            return known == kind;
        }

        if (state.State.Kinds.ContainsValue(kind))
        {
            return false;
        }

        state.State.Kinds[poolId] = kind;
        await state.WriteStateAsync(CancellationToken.None);
        return true;
    }

    public async Task RemoveAsync(string poolId, CancellationToken cancellationToken)
    {
        if (state.State.Kinds.Remove(poolId))
        {
            await state.WriteStateAsync(CancellationToken.None);
        }
    }

    public Task<IReadOnlyList<string>> ListAsync(CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<string>>([.. state.State.Kinds.Keys]);

    public Task<string?> FindAsync(string kind, CancellationToken cancellationToken) =>
        Task.FromResult<string?>(state.State.Kinds.FirstOrDefault(p => p.Value == kind).Key);
}

/// <summary>Pool id → kind (<see cref="WarmPoolSpec.Kind"/>), in id order.</summary>
[GenerateSerializer, Alias("sandboxgrains.WarmPoolRegistryState")]
public sealed class WarmPoolRegistryState
{
    [Id(0)]
    public SortedDictionary<string, string> Kinds { get; set; } = new(StringComparer.Ordinal);
}
