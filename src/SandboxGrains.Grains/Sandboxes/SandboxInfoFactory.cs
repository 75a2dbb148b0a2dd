namespace SandboxGrains.Grains.Sandboxes;

/// <summary>
/// Every way a sandbox's first <see cref="SandboxInfo"/> comes about: a create, an adoption, and the two rebuilds of a
/// grain that lost its state (from the labels of a container it made, from the marker of one it adopted). One place, so a
/// new field is filled everywhere or nowhere.
/// </summary>
internal static class SandboxInfoFactory
{
    /// <summary>A sandbox being created from a request, before its container exists.</summary>
    public static SandboxInfo FromSpec(string id, string runnerId, SandboxSpec spec, DateTimeOffset now) =>
        New(id, spec.Name ?? id, SandboxState.Creating, spec.Image, runnerId, createdAt: now, now) with
        {
            Labels = spec.Labels,
            Env = spec.Env,
            Cpu = spec.Cpu,
            MemoryMb = spec.MemoryMb,
            WorkDir = spec.WorkDir,
            User = spec.User,
            Injection = spec.Injection,
            Policies = spec.Policies,
            PoolId = spec.PoolId,
            Volumes = spec.Volumes,
            Snapshot = spec.Snapshot,
        };

    /// <summary>A running container just adopted: its daemon answers from <paramref name="launched"/>.</summary>
    public static SandboxInfo FromAdoption(
        string id, string runnerId, RecoveredContainer found, SandboxContainer launched, InjectionMode injection, string workDir, DateTimeOffset now) =>
        Adopted(id, runnerId, found, SandboxState.Started, injection, workDir, createdAt: now, now) with
        {
            ContainerId = launched.ContainerId,
            DaemonVersion = launched.DaemonVersion,
        };

    /// <summary>
    /// A sandbox rebuilt from its container, in state <see cref="SandboxState.Starting"/> until the container has been
    /// looked at: from the adoption marker when the container was adopted, else from its labels.
    /// </summary>
    public static SandboxInfo FromContainer(string id, string runnerId, RecoveredContainer found, DateTimeOffset now) =>
        found.Adoption is { } adoption ? FromAdoptionMarker(id, runnerId, found, adoption, now) : FromLabels(id, runnerId, found, now);

    /// <summary>An archived sandbox rebuilt from its archive image's labels: archived, with no container.</summary>
    public static SandboxInfo FromArchive(string id, string runnerId, RecoveredContainer found, DateTimeOffset now) =>
        FromLabels(id, runnerId, found, now) with { State = SandboxState.Archived, ContainerId = null };

    private static SandboxInfo FromAdoptionMarker(string id, string runnerId, RecoveredContainer found, AdoptionMarker adoption, DateTimeOffset now) =>
        Adopted(id, runnerId, found, SandboxState.Starting, adoption.Injection, adoption.WorkDir, adoption.AdoptedAt, now) with
        {
            ContainerId = found.Container.ContainerId,
        };

    private static SandboxInfo FromLabels(string id, string runnerId, RecoveredContainer found, DateTimeOffset now)
    {
        var labels = SandboxLabels.Read(found.Labels);
        var info = New(id, labels.Name ?? id, SandboxState.Starting, labels.Image ?? found.Image, runnerId, labels.CreatedAt ?? now, now) with
        {
            ContainerId = found.Container.ContainerId,
            Labels = labels.UserLabels,
            Env = ParseEnv(found.Env),
            Cpu = labels.Cpu,
            MemoryMb = labels.MemoryMb,
            WorkDir = labels.WorkDir ?? found.WorkingDir,
            User = found.User,
            Injection = labels.Injection,
            Policies = labels.Policies,
            PoolId = labels.PoolId,
            Volumes = labels.Volumes,
        };

        // Made for a warm pool: still waiting in it, or claimed, and then what the claim file says the caller asked for.
        return found.Claim is { } claim ? SandboxGrain.Claimed(info, claim) : info;
    }

    /// <summary>What an adopted container says of itself: its own name, image, environment and user; no reservation.</summary>
    private static SandboxInfo Adopted(
        string id, string runnerId, RecoveredContainer found, SandboxState state, InjectionMode injection, string workDir, DateTimeOffset createdAt, DateTimeOffset now) =>
        New(id, found.Name, state, found.Image, runnerId, createdAt, now) with
        {
            Env = ParseEnv(found.Env),
            WorkDir = workDir,
            User = found.User,
            Injection = injection,
            Adopted = true,

            // The container is the user's own, made and kept running by them: nothing stops or archives it unless asked.
            Policies = AdoptedPolicies,
        };

    private static readonly SandboxPolicies AdoptedPolicies = new() { AutoStopMinutes = 0, AutoArchiveMinutes = 0 };

    private static SandboxInfo New(
        string id, string name, SandboxState state, string image, string runnerId, DateTimeOffset createdAt, DateTimeOffset now) => new()
    {
        Id = id,
        Name = name,
        State = state,
        Image = image,
        RunnerId = runnerId,
        CreatedAt = createdAt,
        UpdatedAt = now,
        StateSince = now,
    };

    /// <summary>A container's <c>KEY=value</c> environment as a map; the last of repeated keys wins, as in the process.</summary>
    private static Dictionary<string, string> ParseEnv(IEnumerable<string> env) => env
        .Select(e => e.Split('=', 2))
        .Where(p => p.Length == 2)
        .GroupBy(p => p[0], StringComparer.Ordinal)
        .ToDictionary(g => g.Key, g => g.Last()[1], StringComparer.Ordinal);
}
