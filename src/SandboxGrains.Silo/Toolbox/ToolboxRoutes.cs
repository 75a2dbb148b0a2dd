using SandboxGrains.Silo.Api;
using SandboxGrains.Silo.Forwarding;

namespace SandboxGrains.Silo.Toolbox;

/// <summary>
/// <c>ANY /toolbox/{id}/{**path}</c>: the sandbox's daemon API (Daytona's toolbox), API key required. Resolved by
/// <see cref="ToolboxResolver"/>, sent by <see cref="SandboxForwarder"/>: bodies stream both ways, WebSocket upgrades
/// (followed session logs) pass through.
/// </summary>
internal static class ToolboxRoutes
{
    public static IEndpointRouteBuilder MapToolbox(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/toolbox").RequireApiKey().AddEndpointFilter<SandboxErrorFilter>()
            .Map("/{id}/{**path}", async (HttpContext context, string id, ToolboxResolver toolbox, SandboxForwarder forwarder) =>
                await forwarder.ForwardAsync(context, await toolbox.ResolveAsync(context, id)))
            .WithName("Toolbox");
        return app;
    }
}
