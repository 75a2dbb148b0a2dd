using SandboxGrains.Http;
using SandboxGrains.Silo.Forwarding;

namespace SandboxGrains.Silo.Previews;

/// <summary>
/// The two ways a browser reaches a preview, both resolved by <see cref="PreviewResolver"/> and sent by <see cref="SandboxForwarder"/>:
/// <c>ANY /preview/{token}/{**path}</c>, and any request whose host is <c>{port}-{token}.{Previews:Domain}</c> — which
/// must win over every other route (the app's own <c>/api/...</c> is the app's), so it is a middleware ahead of them.
/// No API key: the token is the credential.
/// </summary>
internal static class PreviewRoutes
{
    public static IEndpointRouteBuilder MapPreviews(this IEndpointRouteBuilder app)
    {
        app.Map("/preview/{token}/{**path}", async (HttpContext context, string token, PreviewResolver previews, SandboxForwarder forwarder) =>
                await forwarder.ForwardAsync(context, await previews.ResolveAsync(context, token, hostPort: null, RawRequestTarget.After(context, $"/preview/{token}"))))
            .WithName("Preview");
        return app;
    }

    /// <summary>Host-form previews; everything else continues down the pipeline.</summary>
    public static IApplicationBuilder UsePreviewHosts(this IApplicationBuilder app)
    {
        var domain = app.ApplicationServices.GetRequiredService<IOptions<PreviewOptions>>().Value.Domain;
        return app.Use(async (context, next) =>
        {
            if (!PreviewLinks.TryParseHost(context.Request.Host.Host, domain, out var port, out var token))
            {
                await next(context);
                return;
            }

            var previews = context.RequestServices.GetRequiredService<PreviewResolver>();
            var forwarder = context.RequestServices.GetRequiredService<SandboxForwarder>();
            var result = await forwarder.ForwardAsync(context, await previews.ResolveAsync(context, token, port, RawRequestTarget.After(context, "")));
            await result.ExecuteAsync(context);
        });
    }
}
