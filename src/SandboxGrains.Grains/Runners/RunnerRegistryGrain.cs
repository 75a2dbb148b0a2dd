namespace SandboxGrains.Grains.Runners;

/// <summary>
/// Keeps the list of runners so the API can enumerate them without scanning silos. Writes run to the end even for a
/// caller that gave up: cut short, the set in memory and the one in storage would disagree.
/// </summary>
internal sealed class RunnerRegistryGrain(
    [PersistentState("registry", StorageNames.Runners)] IPersistentState<RunnerRegistryState> state) : Grain, IRunnerRegistryGrain
{
    public async Task AddAsync(string runnerId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(runnerId);
        if (state.State.RunnerIds.Add(runnerId))
        {
            await state.WriteStateAsync(CancellationToken.None);
        }
    }

    public Task<IReadOnlyList<string>> ListAsync(CancellationToken cancellationToken) => Task.FromResult<IReadOnlyList<string>>([.. state.State.RunnerIds]);
}
