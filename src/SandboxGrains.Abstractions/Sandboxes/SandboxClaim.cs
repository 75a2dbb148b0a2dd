namespace SandboxGrains.Sandboxes;

/// <summary>
/// What a create gives the warm pool's sandbox it claims: everything of the request that a running container can still
/// take. Docker cannot relabel a container or change its environment, so the runner writes this as a file beside the
/// daemon secret: the daemon adds <see cref="Env"/> to every process it starts, and a grain that lost its state reads the
/// rest back from it.
/// </summary>
/// <param name="Name">The display name asked for; null keeps the sandbox's id.</param>
/// <param name="Labels">The caller's labels.</param>
/// <param name="Env">Environment for every later command, session and process the daemon starts.</param>
/// <param name="Policies">The caller's lifecycle policies (a pooled sandbox has none of its own).</param>
/// <param name="ClaimedAt">When it was claimed: from then on it counts as created, for its TTL too.</param>
[GenerateSerializer, Immutable, Alias("sandboxgrains.SandboxClaim")]
public sealed record SandboxClaim(
    [property: Id(0)] string? Name,
    [property: Id(1)] IReadOnlyDictionary<string, string> Labels,
    [property: Id(2)] IReadOnlyDictionary<string, string> Env,
    [property: Id(3)] SandboxPolicies Policies,
    [property: Id(4)] DateTimeOffset ClaimedAt)
{
    /// <summary>What a create asks of the sandbox it claims.</summary>
    public static SandboxClaim For(SandboxSpec spec, DateTimeOffset now) => new(spec.Name, spec.Labels, spec.Env, spec.Policies, now);
}
