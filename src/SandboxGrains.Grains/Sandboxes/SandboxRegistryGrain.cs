namespace SandboxGrains.Grains.Sandboxes;

/// <summary>
/// Keeps the ids of every sandbox so the API can list them in pages without scanning silos. Writes run to the end even
/// for a caller that gave up: cut short, the set in memory and the one in storage would disagree.
/// </summary>
internal sealed class SandboxRegistryGrain(
    [PersistentState("registry", StorageNames.Sandboxes)] IPersistentState<SandboxRegistryState> state) : Grain, ISandboxRegistryGrain
{
    public async Task AddAsync(string sandboxId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(sandboxId);
        if (state.State.SandboxIds.Add(sandboxId))
        {
            await state.WriteStateAsync(CancellationToken.None);
        }
    }

    public async Task RemoveAsync(string sandboxId, CancellationToken cancellationToken)
    {
        if (state.State.SandboxIds.Remove(sandboxId))
        {
            await state.WriteStateAsync(CancellationToken.None);
        }
    }

    public Task<IReadOnlyList<string>> ListAsync(string? after, int limit, CancellationToken cancellationToken)
    {
        var ids = state.State.SandboxIds;
        var page = after is null ? ids : ids.SkipWhile(id => string.CompareOrdinal(id, after) <= 0);
        return Task.FromResult<IReadOnlyList<string>>([.. page.Take(Math.Max(0, limit))]);
    }
}

/// <summary>The ids of every sandbox, in order.</summary>
[GenerateSerializer, Alias("sandboxgrains.SandboxRegistryState")]
public sealed class SandboxRegistryState
{
    [Id(0)]
    public SortedSet<string> SandboxIds { get; set; } = new(StringComparer.Ordinal);
}
