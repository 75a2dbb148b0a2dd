namespace SandboxGrains.Grains.Sandboxes;

/// <summary>A running container nobody manages yet, and the runner it was found on: what an adoption starts from.</summary>
public sealed record AdoptionTarget(string RunnerId, RecoveredContainer Container)
{
    /// <summary>
    /// Asks every runner for <paramref name="container"/> (an id or a name: the caller does not know the host) and refuses
    /// one that already is a sandbox (labelled at create, or marked by an earlier adoption) or does not run.
    /// </summary>
    public static async Task<AdoptionTarget> FindAsync(IGrainFactory grains, string container, CancellationToken cancellationToken)
    {
        var (runnerId, found, owner) = await LocateAsync(grains, container, cancellationToken);
        if (owner is not null)
        {
            throw new SandboxException(SandboxErrorCodes.AlreadyManaged, $"container {found.Name} already is sandbox {owner}");
        }

        if (!found.Container.Running)
        {
            throw new SandboxException(SandboxErrorCodes.InvalidState, $"container {found.Name} is not running: only a running container can be adopted");
        }

        return new AdoptionTarget(runnerId, found);
    }

    /// <summary>
    /// Where <paramref name="container"/> (an id or a name) runs, what it is, and the sandbox it already is (labelled at
    /// create, or marked by an adoption), if any. <see cref="SandboxErrorCodes.ContainerNotFound"/> when no runner has it.
    /// </summary>
    public static async Task<(string RunnerId, RecoveredContainer Found, string? SandboxId)> LocateAsync(
        IGrainFactory grains, string container, CancellationToken cancellationToken)
    {
        var (runnerId, found) = await SearchAsync(grains, container, cancellationToken);
        var owner = SandboxLabels.IsManaged(found.Labels) || found.Adoption is not null
            ? found.Adoption?.SandboxId ?? SandboxLabels.SandboxIdOf(found.Labels) ?? "?"
            : null;
        return (runnerId, found, owner);
    }

    private static async Task<(string RunnerId, RecoveredContainer Found)> SearchAsync(
        IGrainFactory grains, string container, CancellationToken cancellationToken)
    {
        var runners = await grains.GetGrain<IRunnerRegistryGrain>(IRunnerRegistryGrain.Key).ListAsync(cancellationToken);
        var reasons = new List<string>();
        foreach (var runnerId in runners)
        {
            try
            {
                return (runnerId, await grains.GetGrain<IRunnerGrain>(runnerId).ReadContainerAsync(container, cancellationToken));
            }
            catch (SandboxException e)
            {
                reasons.Add(e.Message);
            }
        }

        throw new SandboxException(
            SandboxErrorCodes.ContainerNotFound,
            reasons.Count == 0 ? $"container {container} not found: no runner has joined the cluster" : $"container {container} not found ({string.Join("; ", reasons)})");
    }
}
