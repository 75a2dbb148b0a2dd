namespace SandboxGrains.Runners;

/// <summary>How a runner looks to the cluster.</summary>
public enum RunnerStatus
{
    /// <summary>Its silo sends heartbeats and its Docker engine answers.</summary>
    Healthy,

    /// <summary>Its silo sends heartbeats but its Docker engine does not answer.</summary>
    Unhealthy,

    /// <summary>No heartbeat within the allowed window: its silo is gone or cut off.</summary>
    Unreachable,
}
