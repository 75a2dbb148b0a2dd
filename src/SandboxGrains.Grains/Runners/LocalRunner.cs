namespace SandboxGrains.Grains.Runners;

/// <summary>Which runner this silo owns (its Docker engine), or none for a front-end-only silo, and how other silos reach its sandboxes.</summary>
/// <param name="RunnerId">The runner id, or null.</param>
/// <param name="ForwardingEndpoint">
/// <c>host:port</c> of the endpoint where this silo carries other silos' traffic on to its runner's containers (an empty
/// host: the address the silo advertises to the cluster); null when it serves none.
/// </param>
/// <param name="ContainersReachable">
/// Every silo reaches this runner's container addresses itself (all on one host, or a container network routed between
/// hosts), so traffic goes there straight.
/// </param>
public sealed record LocalRunner(string? RunnerId, string? ForwardingEndpoint = null, bool ContainersReachable = false);
