
namespace SandboxGrains.Silo.Forwarding;

/// <summary>Where a sandbox's daemon listens and whether the sandbox takes traffic now, from this silo's route cache.</summary>
internal sealed class SandboxEndpoints(IGrainFactory grains, RouteCache routes)
{
    private readonly Func<string, CancellationToken, Task<DaemonEndpoint>> _fetch =
        (sandboxId, cancellationToken) => grains.GetGrain<ISandboxGrain>(sandboxId).GetDaemonEndpointAsync(cancellationToken);

    /// <summary>
    /// The endpoint of a sandbox that serves traffic, or the answer saying why it does not (starting, stopped). A sandbox
    /// that does not exist throws <see cref="SandboxException"/>, and a cluster in churn its own exceptions, for the
    /// entry to answer in its own terms.
    /// </summary>
    public async Task<(DaemonEndpoint? Serving, IResult? Refusal)> GetServingAsync(HttpContext context, string sandboxId)
    {
        var endpoint = await routes.GetEndpointAsync(sandboxId, _fetch, context.RequestAborted);
        return endpoint is { State: SandboxState.Started, Address: not null, Token: not null }
            ? (endpoint, null)
            : (null, ForwardingProblems.NotServing(context, sandboxId, endpoint.State));
    }
}
