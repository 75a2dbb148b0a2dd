namespace SandboxGrains.Runners;

/// <summary>One per Docker host (key = runner id): capacity, allocations and health of that host.</summary>
[Alias("sandboxgrains.IRunnerGrain")]
public interface IRunnerGrain : IGrainWithStringKey
{
    /// <summary>Records a heartbeat from the silo that owns this runner's Docker engine.</summary>
    [Alias("Heartbeat")]
    Task HeartbeatAsync(RunnerHeartbeat heartbeat);

    /// <summary>The runner's current view: capacity, allocations, health.</summary>
    [Alias("GetInfo")]
    Task<RunnerInfo> GetInfoAsync();

    /// <summary>
    /// Reserves resources for a sandbox. Returns false when the runner is not healthy or has no room; reserving again
    /// for the same sandbox replaces its earlier reservation.
    /// </summary>
    [Alias("TryReserve")]
    Task<bool> TryReserveAsync(string sandboxId, RunnerResources resources);

    /// <summary>Releases a sandbox's reservation; releasing an unknown sandbox does nothing.</summary>
    [Alias("Release")]
    Task ReleaseAsync(string sandboxId);
}
