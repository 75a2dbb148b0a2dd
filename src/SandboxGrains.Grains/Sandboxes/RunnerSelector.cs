using System.Globalization;

namespace SandboxGrains.Grains.Sandboxes;

/// <summary>
/// Placement of new sandboxes: the healthy runner with the lowest allocation ratio after this sandbox that still has
/// room. Reservation happens on the runner itself, so two creates racing for the last slot cannot both win.
/// </summary>
internal static class RunnerSelector
{
    public static async Task<string> ReserveAsync(IGrainFactory grains, string sandboxId, RunnerResources wanted)
    {
        var runners = await ListAsync(grains);
        var candidates = runners
            .Where(r => r.Status == RunnerStatus.Healthy && r.Allocated.Plus(wanted).FitsWithin(r.Capacity))
            .OrderBy(r => r.Allocated.Plus(wanted).RatioOf(r.Capacity))
            .ThenBy(r => r.Id, StringComparer.Ordinal);
        foreach (var runner in candidates)
        {
            if (await grains.GetGrain<IRunnerGrain>(runner.Id).TryReserveAsync(sandboxId, wanted))
            {
                return runner.Id;
            }
        }

        throw new SandboxException(SandboxErrorCodes.NoCapacity, Explain(runners, wanted));
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
