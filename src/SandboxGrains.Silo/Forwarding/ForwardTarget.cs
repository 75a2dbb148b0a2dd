using SandboxGrains.Http.Http1;

namespace SandboxGrains.Silo.Forwarding;

/// <summary>
/// Where one request goes and how, as a resolver decided it from the request alone; the forwarder needs nothing else.
/// </summary>
/// <param name="SandboxId">Whose traffic this is (activity, and the wording of errors).</param>
/// <param name="Address"><c>host:port</c> of the next hop: an app on the container's address, or the sandbox's daemon.</param>
/// <param name="PathAndQuery">The request target the next hop gets, byte for byte.</param>
/// <param name="Headers">What of the caller's headers passes, and what is added.</param>
/// <param name="DaemonSecret">Set when the next hop is the sandbox's daemon: its secret goes on the request.</param>
/// <param name="AppPort">The app's port when the request is for an app in the sandbox (a preview); named in errors.</param>
/// <param name="Via">The runner's relay the connection goes through, when this silo does not reach the container straight.</param>
/// <param name="Fallback">Tried when nothing accepts connections at <paramref name="Address"/>: an app listening only on
/// 127.0.0.1 is reached through its daemon. Nothing of the request has been sent when that happens, so even a request
/// with a body can go on to the fallback.</param>
internal sealed record ForwardTarget(
    string SandboxId,
    string Address,
    string PathAndQuery,
    HeaderPolicy Headers,
    string? DaemonSecret = null,
    int? AppPort = null,
    Http1Tunnel? Via = null,
    ForwardTarget? Fallback = null)
{
    /// <summary>The next hop is the sandbox's daemon (its toolbox API, or its <c>/proxy</c> to an app inside).</summary>
    public bool ThroughDaemon => DaemonSecret is not null;

    /// <summary>
    /// A preview through the daemon's <c>/proxy</c>: the daemon may answer for itself (nothing listens inside, the app
    /// failed), and that answer is ours to word. On the toolbox the daemon's own errors are its API's answers.
    /// </summary>
    public bool MayBeRefusedByDaemon => ThroughDaemon && AppPort is not null;
}

/// <summary>What a resolver made of a request: a target to forward to, or the answer that refuses it.</summary>
internal readonly record struct Resolution(ForwardTarget? Target, IResult? Refusal)
{
    public static Resolution Forward(ForwardTarget target) => new(target, null);

    public static Resolution Refuse(IResult refusal) => new(null, refusal);
}
