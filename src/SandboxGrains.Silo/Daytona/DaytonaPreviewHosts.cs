using SandboxGrains.Http;
using SandboxGrains.Silo.Forwarding;
using SandboxGrains.Silo.Previews;

namespace SandboxGrains.Silo.Daytona;

/// <summary>
/// The preview form Daytona users build by hand: host <c>{port}-{sandboxId}.{Previews:Domain}</c> with the token of
/// <c>getPreviewLink(port)</c> in an <c>X-Daytona-Preview-Token</c> header (or, as Daytona's SDK does for browser
/// WebSockets, a <c>DAYTONA_SANDBOX_AUTH_KEY</c> query parameter). Resolved like every preview (the token must be the
/// sandbox's and the port's) and sent by the one forwarder; the token never reaches the app. Any other host goes on.
/// </summary>
internal static class DaytonaPreviewHosts
{
    public const string TokenHeader = "X-Daytona-Preview-Token";
    public const string TokenQuery = "DAYTONA_SANDBOX_AUTH_KEY";

    /// <summary>Ahead of our own host-form previews, whose host names a token rather than a sandbox.</summary>
    public static IApplicationBuilder UseDaytonaPreviewHosts(this IApplicationBuilder app)
    {
        var domain = app.ApplicationServices.GetRequiredService<IOptions<PreviewOptions>>().Value.Domain;
        return app.Use(async (context, next) =>
        {
            // The host first: it is cheap to read, and most requests are not previews at all.
            if (!PreviewLinks.TryParseHost(context.Request.Host.Host, domain, out var port, out var sandboxId)
                || !SandboxIds.IsValid(sandboxId) || SandboxGrains.Previews.PreviewTokens.IsWellFormed(sandboxId)
                || (context.Request.Headers[TokenHeader].FirstOrDefault() ?? context.Request.Query[TokenQuery].FirstOrDefault()) is not { } token)
            {
                await next(context);
                return;
            }

            var previews = context.RequestServices.GetRequiredService<PreviewResolver>();
            var forwarder = context.RequestServices.GetRequiredService<SandboxForwarder>();
            var resolution = await previews.ResolveAsync(context, token.Trim(), port, RawRequestTarget.After(context, ""), sandboxId);
            await (await forwarder.ForwardAsync(context, resolution)).ExecuteAsync(context);
        });
    }
}
