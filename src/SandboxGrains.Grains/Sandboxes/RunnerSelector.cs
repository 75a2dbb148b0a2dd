using System.Globalization;

namespace SandboxGrains.Grains.Sandboxes;

/// <summary>
/// Placement of new sandboxes: among the healthy runners with room after this sandbox, those that already hold its image
/// (no pull), then the lowest allocation ratio. A sandbox mounting named volumes can only go where they are. Reservation
/// happens on the runner itself, so two creates racing for the last slot cannot both win.
/// </summary>
internal static class RunnerSelector
{
    public static async Task<string> ReserveAsync(IGrainFactory grains, string sandboxId, RunnerResources wanted, string image, string? requiredRunner = null)
    {
        var runners = await ListAsync(grains);
        var fitting = runners
            .Where(r => r.Status == RunnerStatus.Healthy && r.Allocated.Plus(wanted).FitsWithin(r.Capacity))
            .Where(r => requiredRunner is null || r.Id == requiredRunner)
            .ToList();

        // Asking each runner for the image costs a round trip, so only when there is a choice to make.
        var holding = fitting.Count > 1 ? await HoldingAsync(grains, fitting, image) : [];
        var candidates = fitting
            .OrderByDescending(r => holding.Contains(r.Id))
            .ThenBy(r => r.Allocated.Plus(wanted).RatioOf(r.Capacity))
            .ThenBy(r => r.Id, StringComparer.Ordinal);
        foreach (var runner in candidates)
        {
            if (await grains.GetGrain<IRunnerGrain>(runner.Id).TryReserveAsync(sandboxId, wanted))
            {
                return runner.Id;
            }
        }

        throw new SandboxException(SandboxErrorCodes.NoCapacity, requiredRunner is null
            ? Explain(runners, wanted)
            : $"the sandbox can only go to runner {requiredRunner} (its volumes or its snapshot are there), which has no room for it now: {Allocations([.. runners.Where(r => r.Id == requiredRunner)])}");
    }

    /// <summary>
    /// The runner that holds every one of a sandbox's named volumes (a volume lives on one runner's engine); null for a
    /// sandbox without volumes. A missing volume, or volumes on two runners, is the caller's mistake (4xx naming it).
    /// </summary>
    public static async Task<string?> RunnerOfVolumesAsync(IGrainFactory grains, IReadOnlyList<VolumeMount> volumes)
    {
        string? runner = null;
        string? first = null;
        for (var i = 0; i < volumes.Count; i++)
        {
            VolumeInfo volume;
            try
            {
                volume = await grains.GetGrain<IVolumeGrain>(volumes[i].Name).GetAsync();
            }
            catch (SandboxException e) when (e.Code == SandboxErrorCodes.VolumeNotFound)
            {
                throw new SandboxException(SandboxErrorCodes.InvalidRequest, $"volumes[{i}].name: no volume {volumes[i].Name}; create it first (POST /api/v1/volumes)");
            }

            if (runner is not null && runner != volume.RunnerId)
            {
                throw new SandboxException(SandboxErrorCodes.InvalidRequest,
                    $"volumes[{i}].name: volume {volume.Name} is on runner {volume.RunnerId} and {first} on runner {runner}; one sandbox can only mount volumes of one runner");
            }

            runner = volume.RunnerId;
            first ??= volume.Name;
        }

        return runner;
    }

    /// <summary>Where a new volume goes: the runner asked for (it must be healthy), else the healthy one with the fewest sandboxes for its size.</summary>
    public static async Task<string> PickForVolumeAsync(IGrainFactory grains, string? requested)
    {
        var runners = await ListAsync(grains);
        if (requested is not null)
        {
            return runners.FirstOrDefault(r => r.Id == requested) switch
            {
                null => throw new SandboxException(SandboxErrorCodes.InvalidRequest, $"runnerId: no runner {requested} in the cluster"),
                { Status: RunnerStatus.Healthy } runner => runner.Id,
                var runner => throw new SandboxException(SandboxErrorCodes.RunnerUnreachable, $"runner {requested} is {runner.Status.ToString().ToLowerInvariant()} ({runner.StatusReason})"),
            };
        }

        return runners
            .Where(r => r.Status == RunnerStatus.Healthy)
            .OrderBy(r => (double)r.Allocated.Sandboxes / Math.Max(1, r.Capacity.Sandboxes))
            .ThenBy(r => r.Id, StringComparer.Ordinal)
            .FirstOrDefault()?.Id
            ?? throw new SandboxException(SandboxErrorCodes.NoCapacity, runners.Length == 0 ? "no runner has joined the cluster" : $"no runner is healthy: {Allocations(runners)}");
    }

    private static async Task<HashSet<string>> HoldingAsync(IGrainFactory grains, IEnumerable<RunnerInfo> runners, string image)
    {
        var answers = await Task.WhenAll(runners.Select(async r =>
        {
            try
            {
                return await grains.GetGrain<IRunnerGrain>(r.Id).HasImageAsync(image) ? r.Id : null;
            }
            catch (Exception)
            {
                return null; // Cannot say (unreachable, timed out): it is still a candidate, just not a preferred one.
            }
        }));
        return [.. answers.OfType<string>()];
    }

    /// <summary>
    /// How many more sandboxes of <paramref name="wanted"/> the healthy runners have room for now, and the runners'
    /// allocations in words (for a refusal that says what is missing).
    /// </summary>
    public static async Task<(int Room, string Runners)> RoomAsync(IGrainFactory grains, RunnerResources wanted)
    {
        var runners = await ListAsync(grains);
        var room = runners.Where(r => r.Status == RunnerStatus.Healthy).Sum(r => (int)Math.Max(0, Math.Min(
            Math.Min(Math.Floor((r.Capacity.Cpu - r.Allocated.Cpu) / wanted.Cpu + 1e-9), Math.Floor((double)(r.Capacity.MemoryMb - r.Allocated.MemoryMb) / wanted.MemoryMb)),
            r.Capacity.Sandboxes - r.Allocated.Sandboxes)));
        return (room, runners.Length == 0 ? "no runner has joined the cluster" : Allocations(runners));
    }

    /// <summary>True when at least one healthy runner has <paramref name="image"/>.</summary>
    public static async Task<bool> AnyRunnerHasAsync(IGrainFactory grains, string image)
    {
        foreach (var runner in (await ListAsync(grains)).Where(r => r.Status == RunnerStatus.Healthy))
        {
            if (await grains.GetGrain<IRunnerGrain>(runner.Id).HasImageAsync(image))
            {
                return true;
            }
        }

        return false;
    }

    private static async Task<RunnerInfo[]> ListAsync(IGrainFactory grains)
    {
        var ids = await grains.GetGrain<IRunnerRegistryGrain>(IRunnerRegistryGrain.Key).ListAsync();
        return await Task.WhenAll(ids.Select(id => grains.GetGrain<IRunnerGrain>(id).GetInfoAsync()));
    }

    private static string Explain(RunnerInfo[] runners, RunnerResources wanted)
    {
        var want = string.Create(CultureInfo.InvariantCulture, $"{wanted.Cpu} CPU and {wanted.MemoryMb} MB");
        return runners.Length == 0
            ? $"no runner has joined the cluster, so there is nowhere to put a sandbox of {want}"
            : $"no runner has room for a sandbox of {want}: {Allocations(runners)}";
    }

    private static string Allocations(RunnerInfo[] runners) => string.Join("; ", runners.Select(r => r.Status != RunnerStatus.Healthy
        ? $"{r.Id} is {r.Status.ToString().ToLowerInvariant()} ({r.StatusReason})"
        : string.Create(CultureInfo.InvariantCulture,
            $"{r.Id} has {r.Allocated.Cpu}/{r.Capacity.Cpu} CPU, {r.Allocated.MemoryMb}/{r.Capacity.MemoryMb} MB, {r.Allocated.Sandboxes}/{r.Capacity.Sandboxes} sandboxes allocated")));
}
