namespace SandboxGrains.Silo.Api;

/// <summary>
/// Asks every runner of the cluster (or the one named) the same question, at once: what listings of things that live on
/// runners (images, volumes) are made of. A runner without a silo, or whose engine is down, answers null and is named
/// as unreachable rather than failing the whole listing.
/// </summary>
internal static class EachRunner
{
    public static async Task<(string RunnerId, T? Answer)[]> AskAsync<T>(
        IGrainFactory grains, string? only, Func<IRunnerGrain, Task<T>> ask, CancellationToken cancellationToken) where T : class
    {
        var runners = await grains.GetGrain<IRunnerRegistryGrain>(IRunnerRegistryGrain.Key).ListAsync(cancellationToken);
        if (only is not null && !runners.Contains(only))
        {
            throw new SandboxException(SandboxErrorCodes.InvalidRequest, $"runnerId: no runner {only} in the cluster");
        }

        return await Task.WhenAll(runners.Where(r => only is null || r == only).Select(async runnerId =>
        {
            try
            {
                return (runnerId, (T?)await ask(grains.GetGrain<IRunnerGrain>(runnerId)));
            }
            catch (SandboxException e) when (e.Code is SandboxErrorCodes.RunnerUnreachable or SandboxErrorCodes.DockerUnavailable)
            {
                return (runnerId, null);
            }
        }));
    }

    /// <summary>The runners that could not answer.</summary>
    public static IReadOnlyList<string> Unreachable<T>(IEnumerable<(string RunnerId, T? Answer)> answers) where T : class =>
        [.. answers.Where(a => a.Answer is null).Select(a => a.RunnerId)];
}
