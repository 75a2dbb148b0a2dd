using System.Net;
using SandboxGrains.Docker.Sandboxes;
using SandboxGrains.Previews;
using SandboxGrains.Silo.Api;
using SandboxGrains.Silo.Forwarding;

namespace SandboxGrains.Silo.Previews;

/// <summary>
/// A preview request (path form or host form) → its target: token → grant → the sandbox's daemon endpoint (each from
/// this silo's <see cref="RouteCache"/>) → the app on the container's address, falling back to the daemon's
/// <c>/proxy/{port}</c> when the app listens only inside. Refusals say why in JSON: unknown or revoked 404, expired
/// 410, stopped 409, starting 503.
/// </summary>
internal sealed class PreviewResolver(
    IGrainFactory grains,
    RouteCache routes,
    SandboxEndpoints endpoints,
    InsideOnlyApps insideOnly,
    IOptions<PreviewOptions> options,
    IOptions<DaemonInjectionOptions> daemonOptions,
    PreviewRequestCounts served,
    TimeProvider time)
{
    private readonly Func<string, CancellationToken, Task<PreviewGrant?>> _fetchGrant =
        (tokenHash, cancellationToken) => grains.GetGrain<IPreviewGrain>(tokenHash).GetAsync(cancellationToken);

    /// <summary>
    /// <paramref name="hostPort"/> is the port a host-form link names (it must be the link's); <paramref name="pathAndQuery"/>
    /// is what the app receives, raw, before the token is taken out of the query. <paramref name="sandboxId"/>, when the
    /// entry names the sandbox besides the token (Daytona's <c>{port}-{sandboxId}</c> hosts), must be the link's.
    /// </summary>
    public async Task<Resolution> ResolveAsync(HttpContext context, string token, int? hostPort, string pathAndQuery, string? sandboxId = null)
    {
        if (!PreviewTokens.IsWellFormed(token))
        {
            return Resolution.Refuse(NotFound());
        }

        var tokenHash = PreviewTokens.Hash(token);
        PreviewGrant? grant;
        ServingSandbox? sandbox;
        IResult? notServing;
        try
        {
            grant = await routes.GetGrantAsync(tokenHash, _fetchGrant, context.RequestAborted);
            if (grant is null || (hostPort is { } port && port != grant.Port) || (sandboxId is not null && sandboxId != grant.SandboxId))
            {
                return Resolution.Refuse(NotFound());
            }

            if (grant.IsExpired(time.GetUtcNow()))
            {
                return Resolution.Refuse(Problems.Create(
                    StatusCodes.Status410Gone, SandboxErrorCodes.PreviewExpired, "Gone", $"this preview link expired at {grant.ExpiresAt:O}"));
            }

            (sandbox, notServing) = await endpoints.GetServingAsync(context, grant.SandboxId);
        }
        catch (SandboxException e) when (e.Code == SandboxErrorCodes.NotFound)
        {
            // The sandbox is gone; so is every link to it.
            return Resolution.Refuse(NotFound());
        }
        catch (Exception e) when (SandboxErrorCodes.IsClusterChurn(e))
        {
            return Resolution.Refuse(ForwardingProblems.ClusterUnavailable(context));
        }

        if (sandbox is null)
        {
            return Resolution.Refuse(notServing!);
        }

        if (grant.Port == daemonOptions.Value.Port)
        {
            // Granting refuses this port; a link made before a change of Daemon:Port must not open the daemon either.
            return Resolution.Refuse(NotFound());
        }

        served.Record(tokenHash);
        var appPathAndQuery = WithoutToken(pathAndQuery, token);
        var headers = HeaderPolicy.ForPreview(context, token, hostForm: hostPort is not null, options.Value.RewriteHost, grant.Port);
        var throughDaemon = new ForwardTarget(
            grant.SandboxId, sandbox.DaemonAddress, DaemonProtocol.ProxyPath(grant.Port) + appPathAndQuery, headers, sandbox.DaemonSecret, grant.Port, sandbox.Via);
        if (insideOnly.Contains(grant.SandboxId, grant.Port))
        {
            return Resolution.Forward(throughDaemon);
        }

        // Straight to the app on the container's address: one hop fewer, and the way most requests go.
        return Resolution.Forward(new ForwardTarget(
            grant.SandboxId, $"{sandbox.ContainerAddress}:{grant.Port}", appPathAndQuery, headers, AppPort: grant.Port, Via: sandbox.Via, Fallback: throughDaemon));
    }

    private static ProblemHttpResult NotFound() =>
        Problems.NotFound(SandboxErrorCodes.PreviewNotFound, "no preview link with this token: it never existed, was revoked, or its sandbox was deleted");

    /// <summary>Drops every query parameter whose value is the token (however it is named), keeping the rest byte for byte.</summary>
    internal static string WithoutToken(string pathAndQuery, string token)
    {
        var mark = pathAndQuery.IndexOf('?', StringComparison.Ordinal);
        if (mark < 0 || !pathAndQuery.Contains(token, StringComparison.Ordinal))
        {
            return pathAndQuery;
        }

        var kept = pathAndQuery[(mark + 1)..]
            .Split('&')
            .Where(pair => pair.Split('=', 2) is not [_, var value] || WebUtility.UrlDecode(value) != token)
            .ToList();
        return pathAndQuery[..mark] + (kept.Count == 0 ? "" : "?" + string.Join('&', kept));
    }
}
