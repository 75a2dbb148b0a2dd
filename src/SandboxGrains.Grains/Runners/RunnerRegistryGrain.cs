namespace SandboxGrains.Grains.Runners;

/// <summary>Keeps the list of runners so the API can enumerate them without scanning silos.</summary>
internal sealed class RunnerRegistryGrain(
    [PersistentState("registry", StorageNames.Runners)] IPersistentState<RunnerRegistryState> state) : Grain, IRunnerRegistryGrain
{
    public async Task AddAsync(string runnerId)
    {
        ArgumentException.ThrowIfNullOrEmpty(runnerId);
        if (state.State.RunnerIds.Add(runnerId))
        {
            await state.WriteStateAsync();
        }
    }

    public Task<IReadOnlyList<string>> ListAsync() => Task.FromResult<IReadOnlyList<string>>([.. state.State.RunnerIds]);
}
