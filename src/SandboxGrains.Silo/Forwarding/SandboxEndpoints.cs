using SandboxGrains.Http.Http1;
using SandboxGrains.Silo.Forwarding.Relay;

namespace SandboxGrains.Silo.Forwarding;

/// <summary>A sandbox that takes traffic: where its daemon listens, and the relay to go through when it is not reached straight.</summary>
internal sealed record ServingSandbox(DaemonEndpoint Endpoint, Http1Tunnel? Via)
{
    /// <summary><c>address:port</c> of the daemon.</summary>
    public string DaemonAddress => Endpoint.Address!;

    /// <summary>The container's own address, where its apps listen.</summary>
    public string ContainerAddress => DaemonAddress[..DaemonAddress.LastIndexOf(':')];

    public string DaemonSecret => Endpoint.Token!;
}

/// <summary>Where a sandbox's daemon listens, whether the sandbox takes traffic now, and the lane to it, from this silo's route cache.</summary>
internal sealed class SandboxEndpoints(IGrainFactory grains, RouteCache routes, RunnerReach reach)
{
    private readonly Func<string, CancellationToken, Task<DaemonEndpoint>> _fetch =
        (sandboxId, cancellationToken) => grains.GetGrain<ISandboxGrain>(sandboxId).GetDaemonEndpointAsync(cancellationToken);

    /// <summary>
    /// A sandbox that serves traffic and how to reach it, or the answer saying why not (starting, stopped, its runner out
    /// of reach). A sandbox that does not exist throws <see cref="SandboxException"/>, and a cluster in churn its own
    /// exceptions, for the entry to answer in its own terms.
    /// </summary>
    public async Task<(ServingSandbox? Serving, IResult? Refusal)> GetServingAsync(HttpContext context, string sandboxId)
    {
        var endpoint = await routes.GetEndpointAsync(sandboxId, _fetch, context.RequestAborted);
        if (endpoint is not { State: SandboxState.Started, Address: not null, Token: not null })
        {
            return (null, ForwardingProblems.NotServing(context, sandboxId, endpoint.State));
        }

        var lane = endpoint.RunnerId is { } runnerId ? reach.For(runnerId, sandboxId) : Reach.Straight;
        return lane.Problem is { } problem
            ? (null, ForwardingProblems.RunnerOutOfReach(context, sandboxId, problem, lane.Retryable))
            : (new ServingSandbox(endpoint, lane.Relay), null);
    }
}
