using SandboxGrains.Http;
using SandboxGrains.Previews;
using SandboxGrains.Silo.Api;
using SandboxGrains.Silo.Forwarding;
using SandboxGrains.Silo.Previews;
using SandboxGrains.Silo.Toolbox;

namespace SandboxGrains.Silo.Seeds;

/// <summary>
/// Seed 002's routes, mapped when <c>DaemonProxy:Mode</c> is set, all about its default target
/// (<see cref="DaemonProxyTarget"/>): <c>ANY /proxy/{port}/{**path}</c> to an app in it through its daemon (HTTP and
/// WebSocket), <c>POST /api/preview/create</c>, <c>GET /api/preview/stats</c>, <c>DELETE /api/preview/{token}</c>,
/// <c>GET /daemon/status</c> — each with an API key — and <c>GET /health</c> without. The links are the cluster's own
/// (<c>/preview/{token}/…</c>, the seed's paths already).
/// </summary>
internal static class DaemonProxyRoutes
{
    public static WebApplication MapDaemonProxyWhenEnabled(this WebApplication app)
    {
        // Read from configuration, not the validated options: a bad setting is reported with the others when the silo starts.
        if (app.Configuration.GetSection(DaemonProxyOptions.SectionName).Get<DaemonProxyOptions>()?.Enabled != true)
        {
            return app;
        }

        app.MapGet("/health", HealthAsync).ExcludeFromDescription();
        var keyed = app.MapGroup("").RequireApiKey().AddEndpointFilter<SandboxErrorFilter>().ExcludeFromDescription();
        keyed.Map("/proxy/{port:int}/{**path}", ProxyAsync);
        keyed.MapGet("/daemon/status", DaemonStatusAsync);
        keyed.MapPost("/api/preview/create", CreatePreviewAsync);
        keyed.MapGet("/api/preview/stats", StatsAsync);
        keyed.MapDelete("/api/preview/{token}", RevokeAsync);
        return app;
    }

    private static async Task<IResult> ProxyAsync(HttpContext context, int port, DaemonProxyTarget target, ToolboxResolver daemons, SandboxForwarder forwarder)
    {
        if (port is < 1 or > 65535)
        {
            return Problems.InvalidField("port", "must be from 1 to 65535");
        }

        var sandboxId = await target.SandboxIdAsync(context.RequestAborted);
        return await forwarder.ForwardAsync(context, await daemons.ResolveDaemonPathAsync(context, sandboxId, RawRequestTarget.After(context, "")));
    }

    private static async Task<IResult> CreatePreviewAsync(HttpContext context, DaemonProxyTarget target, IOptions<PreviewOptions> options)
    {
        var (body, problem) = await RequestBodies.ReadAsync<CreatePreviewRequest>(context);
        if (body is null)
        {
            return problem!;
        }

        if (body.Port is not { } port)
        {
            return Problems.InvalidField("port", "is required: the port in the target container the link opens");
        }

        var expiresIn = body.ExpiresInSeconds is { } seconds && seconds > 0 ? TimeSpan.FromSeconds(seconds) : (TimeSpan?)null;
        var issued = await target.OnTargetAsync(sandbox => sandbox.CreatePreviewAsync(port, expiresIn, context.RequestAborted), context.RequestAborted);
        return TypedResults.Ok(PreviewLinks.Describe(issued, context.Request, options.Value));
    }

    /// <summary>
    /// The target's links: how many, how many still work, how many expired, and each (without its token) with the
    /// requests this silo forwarded through it.
    /// </summary>
    private static async Task<IResult> StatsAsync(DaemonProxyTarget target, PreviewRequestCounts served, TimeProvider time, CancellationToken cancellationToken)
    {
        var links = await target.OnTargetAsync(sandbox => sandbox.ListPreviewsAsync(cancellationToken), cancellationToken);
        var now = time.GetUtcNow();
        var expired = links.Count(l => l.Grant.ExpiresAt is { } at && at <= now);
        return TypedResults.Ok(new PreviewStats(
            links.Count, links.Count - expired, expired, links.Sum(l => served.Of(l.Id)), [.. links.Select(l => LinkStats.Of(l, served.Of(l.Id)))]));
    }

    private static async Task<IResult> RevokeAsync(string token, DaemonProxyTarget target, CancellationToken cancellationToken)
    {
        var revoked = PreviewTokens.IsWellFormed(token)
            && await target.OnTargetAsync(sandbox => sandbox.RevokePreviewAsync(PreviewTokens.Hash(token), cancellationToken), cancellationToken);
        return revoked
            ? TypedResults.Ok(new { revoked = true })
            : Problems.NotFound(SandboxErrorCodes.PreviewNotFound, "no preview link of the default target with this token");
    }

    private static async Task<IResult> DaemonStatusAsync(DaemonProxyTarget target, CancellationToken cancellationToken)
    {
        var sandbox = await target.OnTargetAsync(sandbox => sandbox.GetAsync(cancellationToken), cancellationToken);
        return TypedResults.Ok(new DaemonStatus(target.Container, sandbox.Id, sandbox.State.ToString().ToLowerInvariant(), sandbox.State == SandboxState.Started, sandbox.DaemonVersion, sandbox.Injection.Name()));
    }

    /// <summary>No key needed, as seed 002's: whether the service and its target's daemon are up, nothing more.</summary>
    private static async Task<IResult> HealthAsync(DaemonProxyTarget target, CancellationToken cancellationToken)
    {
        try
        {
            var sandbox = await target.OnTargetAsync(sandbox => sandbox.GetAsync(cancellationToken), cancellationToken);
            var up = sandbox.State == SandboxState.Started;
            return TypedResults.Json(new { status = up ? "healthy" : "unhealthy", daemon = up ? "running" : sandbox.State.ToString().ToLowerInvariant() },
                statusCode: up ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
        }
        catch (SandboxException e)
        {
            return TypedResults.Json(new { status = "unhealthy", daemon = e.Code }, statusCode: StatusCodes.Status503ServiceUnavailable);
        }
    }

    internal sealed record PreviewStats(int Total, int Active, int Expired, long RequestsServed, IReadOnlyList<LinkStats> Links);

    /// <summary>A link as stats list it: its public fields (never its token) and the requests this silo served through it.</summary>
    internal sealed record LinkStats(string Id, string SandboxId, int Port, DateTimeOffset CreatedAt, DateTimeOffset? ExpiresAt, long RequestsServed)
    {
        public static LinkStats Of(PreviewRecord link, long served) =>
            new(link.Id, link.Grant.SandboxId, link.Grant.Port, link.Grant.CreatedAt, link.Grant.ExpiresAt, served);
    }

    internal sealed record DaemonStatus(string Container, string SandboxId, string State, bool Running, string? Version, string Injection);
}
