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
        var ids = await grains.GetGrain<IRunnerRegistryGrain>(IRunnerRegistryGrain.Key).ListAsync();
        var runners = await Task.WhenAll(ids.Select(id => grains.GetGrain<IRunnerGrain>(id).GetInfoAsync()));
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

    private static string Explain(RunnerInfo[] runners, RunnerResources wanted)
    {
        var want = string.Create(CultureInfo.InvariantCulture, $"{wanted.Cpu} CPU and {wanted.MemoryMb} MB");
        if (runners.Length == 0)
        {
            return $"no runner has joined the cluster, so there is nowhere to put a sandbox of {want}";
        }

        var why = runners.Select(r => r.Status != RunnerStatus.Healthy
            ? $"{r.Id} is {r.Status.ToString().ToLowerInvariant()} ({r.StatusReason})"
            : string.Create(CultureInfo.InvariantCulture,
                $"{r.Id} has {r.Allocated.Cpu}/{r.Capacity.Cpu} CPU, {r.Allocated.MemoryMb}/{r.Capacity.MemoryMb} MB, {r.Allocated.Sandboxes}/{r.Capacity.Sandboxes} sandboxes allocated"));
        return $"no runner has room for a sandbox of {want}: {string.Join("; ", why)}";
    }
}
