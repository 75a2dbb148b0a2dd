using SandboxGrains.Grains.Sandboxes;

namespace SandboxGrains.Grains.Volumes;

/// <summary>
/// One named volume. Calls are not reentrant, so two creates of one name cannot both make it, and a delete cannot pass a
/// create. The runner it lives on is kept in grain storage; a grain without it (an embedded silo after a restart) asks
/// the runners, whose Docker volumes carry the name as a label.
/// </summary>
internal sealed class VolumeGrain(
    [PersistentState("volume", StorageNames.Volumes)] IPersistentState<VolumeRecord> state) : Grain, IVolumeGrain
{
    private string Name => this.GetPrimaryKeyString();

    public async Task<VolumeInfo> CreateAsync(string? runnerId, CancellationToken cancellationToken)
    {
        if (VolumeRules.NameProblem(Name) is { } problem)
        {
            throw new SandboxException(SandboxErrorCodes.InvalidRequest, $"name {problem}");
        }

        if (await FindAsync(cancellationToken) is { } existing)
        {
            throw new SandboxException(SandboxErrorCodes.VolumeExists, $"volume {Name} exists already (on runner {existing.RunnerId})");
        }

        var runner = await RunnerSelector.PickForVolumeAsync(GrainFactory, runnerId);
        var created = await GrainFactory.GetGrain<IRunnerGrain>(runner).CreateVolumeAsync(Name, CancellationToken.None);
        state.State = new VolumeRecord { Info = created };
        await state.WriteStateAsync(CancellationToken.None);
        return created;
    }

    public async Task<VolumeInfo> GetAsync(CancellationToken cancellationToken) =>
        await FindAsync(cancellationToken) ?? throw NotFound();

    public async Task AttachAsync(string sandboxId, CancellationToken cancellationToken)
    {
        _ = await FindAsync(cancellationToken) ?? throw NotFound();
        if (state.State.Users.Add(sandboxId))
        {
            await state.WriteStateAsync(CancellationToken.None);
        }
    }

    public async Task DetachAsync(string sandboxId, CancellationToken cancellationToken)
    {
        if (state.State.Users.Remove(sandboxId))
        {
            await state.WriteStateAsync(CancellationToken.None);
        }
    }

    public async Task DeleteAsync(CancellationToken cancellationToken)
    {
        var volume = await FindAsync(cancellationToken) ?? throw NotFound();

        // Docker refuses only while a container mounts it; an archived sandbox, or one still being made, has none.
        if (state.State.Users.Count > 0)
        {
            throw new SandboxException(SandboxErrorCodes.VolumeInUse,
                $"volume {Name} is in use by sandbox {string.Join(", ", state.State.Users.Order(StringComparer.Ordinal))}; delete those first");
        }

        await GrainFactory.GetGrain<IRunnerGrain>(volume.RunnerId).RemoveVolumeAsync(Name, CancellationToken.None);
        await state.ClearStateAsync(CancellationToken.None);
        state.State = new VolumeRecord();
    }

    private async Task<VolumeInfo?> FindAsync(CancellationToken cancellationToken)
    {
        if (state.State.Info is { } known)
        {
            return known;
        }

        foreach (var runnerId in await GrainFactory.GetGrain<IRunnerRegistryGrain>(IRunnerRegistryGrain.Key).ListAsync(cancellationToken))
        {
            IReadOnlyList<VolumeInfo> volumes;
            try
            {
                volumes = await GrainFactory.GetGrain<IRunnerGrain>(runnerId).ListVolumesAsync(cancellationToken);
            }
            catch (SandboxException)
            {
                continue; // A runner without a silo right now: its volumes are found once it is back.
            }

            if (volumes.FirstOrDefault(v => v.Name == Name) is { } found)
            {
                state.State.Info = found;
                await state.WriteStateAsync(CancellationToken.None);
                return found;
            }
        }

        return null;
    }

    private SandboxException NotFound() => new(SandboxErrorCodes.VolumeNotFound, $"volume {Name} not found");
}

/// <summary>Where a named volume is; empty when the grain does not know of one.</summary>
[GenerateSerializer, Alias("sandboxgrains.VolumeRecord")]
public sealed class VolumeRecord
{
    [Id(0)]
    public VolumeInfo? Info { get; set; }

    /// <summary>The sandboxes that mount it (any state): it is not deleted while there are any.</summary>
    [Id(1)]
    public HashSet<string> Users { get; set; } = new(StringComparer.Ordinal);
}
