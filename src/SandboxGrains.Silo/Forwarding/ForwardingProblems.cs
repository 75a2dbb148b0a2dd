using SandboxGrains.Http.Http1;
using SandboxGrains.Silo.Api;

namespace SandboxGrains.Silo.Forwarding;

/// <summary>
/// Every answer the front end gives in place of a sandbox's: why a sandbox cannot take traffic now, and why a forward
/// failed. JSON problems with a code, never a page or a redirect, because the caller may be a script, an iframe or a
/// WebSocket client.
/// </summary>
internal static class ForwardingProblems
{
    /// <summary>
    /// Why a sandbox cannot take forwarded traffic: 503 with <c>Retry-After</c> while it is on its way up, 409 when it is
    /// stopped or otherwise not serving (start it first).
    /// </summary>
    public static IResult NotServing(HttpContext context, string sandboxId, SandboxState state)
    {
        var name = state.ToString().ToLowerInvariant();
        if (state.IsComingUp())
        {
            context.Response.Headers.RetryAfter = "1";
            return Problems.ServiceUnavailable(SandboxErrorCodes.SandboxStarting, $"sandbox {sandboxId} is {name}; retry in a moment");
        }

        return Problems.Create(StatusCodes.Status409Conflict, SandboxErrorCodes.SandboxNotStarted, "Conflict", $"sandbox {sandboxId} is {name}; start it first");
    }

    /// <summary>The cluster is changing (a silo died, a grain moves): 503 with <c>Retry-After</c>.</summary>
    public static IResult ClusterUnavailable(HttpContext context)
    {
        context.Response.Headers.RetryAfter = "1";
        return Problems.ServiceUnavailable(SandboxErrorCodes.ClusterUnavailable, SandboxErrorCodes.ClusterUnavailableMessage);
    }

    /// <summary>
    /// The sandbox's runner cannot be reached from this silo: 503 with <c>Retry-After</c> while its silo restarts or the
    /// cluster re-forms (the next request goes to whichever silo owns the runner then), 502 when settings are missing.
    /// </summary>
    public static IResult RunnerOutOfReach(HttpContext context, string sandboxId, string why, bool retryable)
    {
        var detail = $"sandbox {sandboxId} cannot be reached from this silo: {why}";
        if (retryable)
        {
            context.Response.Headers.RetryAfter = "1";
            return Problems.ServiceUnavailable(SandboxErrorCodes.RunnerUnreachable, detail + "; retry shortly");
        }

        return Problems.Create(StatusCodes.Status502BadGateway, SandboxErrorCodes.RunnerUnreachable, "Bad gateway", detail);
    }

    /// <summary>A forward that failed before any of the answer reached the caller: why, or the daemon's own refusal.</summary>
    public static IResult Failed(HttpContext context, ForwardTarget target, Exception? failure, DaemonRefusal? daemonRefusal)
    {
        context.Response.Clear();
        if (failure?.InnerException is Http1TunnelException relay)
        {
            // The relay of the sandbox's runner failed, not the sandbox: its silo died or is leaving, or a setting differs.
            // Anyone with a preview link reads this answer: the relay's address and why are in the silo's log instead.
            return RunnerOutOfReach(
                context, target.SandboxId, relay.Retryable ? "its runner's relay did not answer" : "its runner's relay refused this silo (see this silo's log)", relay.Retryable);
        }

        if (daemonRefusal is { } refusal && target.AppPort is { } insidePort)
        {
            // The daemon itself refused: nothing listens on the port inside, or the app failed the request.
            return PortProblem(insidePort, refusal.Code switch
            {
                DaemonProtocol.Errors.PortUnreachable =>
                    $"nothing is listening on port {insidePort} in sandbox {target.SandboxId}; start the app there (listening on 0.0.0.0 or 127.0.0.1)",
                DaemonProtocol.Errors.AppFailed =>
                    $"{refusal.Message ?? $"the app on port {insidePort} failed the request"} (in sandbox {target.SandboxId}, through its daemon)",
                _ => $"the sandbox daemon refused to forward to port {insidePort} ({refusal.Code})",
            });
        }

        var reason = failure?.Message ?? "no answer";
        if (target is { ThroughDaemon: false, AppPort: { } port })
        {
            return PortProblem(port, $"the app on port {port} failed the request: {reason}");
        }

        return Problems.Create(
            StatusCodes.Status502BadGateway,
            SandboxErrorCodes.DaemonUnreachable,
            "Bad gateway",
            $"the daemon of sandbox {target.SandboxId} at {target.Address} did not answer: {reason}");
    }

    private static IResult PortProblem(int port, string detail) => Problems.Create(
        StatusCodes.Status502BadGateway, SandboxErrorCodes.PortUnreachable, "Bad gateway", detail, new Dictionary<string, object?> { ["port"] = port });
}
