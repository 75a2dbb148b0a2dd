namespace SandboxGrains.Grains.Snapshots;

/// <summary>The names of every snapshot, for listing. Writes run to the end even for a caller that gave up.</summary>
internal sealed class SnapshotRegistryGrain(
    [PersistentState("registry", StorageNames.Snapshots)] IPersistentState<SnapshotRegistryState> state) : Grain, ISnapshotRegistryGrain
{
    public async Task AddAsync(string name, CancellationToken cancellationToken)
    {
        if (state.State.Names.Add(name))
        {
            await state.WriteStateAsync(CancellationToken.None);
        }
    }

    public async Task RemoveAsync(string name, CancellationToken cancellationToken)
    {
        if (state.State.Names.Remove(name))
        {
            await state.WriteStateAsync(CancellationToken.None);
        }
    }

    public Task<IReadOnlyList<string>> ListAsync(CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<string>>([.. state.State.Names]);
}

/// <summary>The names of every snapshot, in order.</summary>
[GenerateSerializer, Alias("sandboxgrains.SnapshotRegistryState")]
public sealed class SnapshotRegistryState
{
    [Id(0)]
    public SortedSet<string> Names { get; set; } = new(StringComparer.Ordinal);
}
