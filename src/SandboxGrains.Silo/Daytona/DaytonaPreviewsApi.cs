using SandboxGrains.Previews;
using SandboxGrains.Silo.Api;
using SandboxGrains.Silo.Previews;

namespace SandboxGrains.Silo.Daytona;

/// <summary>
/// Daytona's preview links on our preview front end. <c>preview-url</c> is the sandbox's standing link to the port (the
/// same token every time, a path-form URL that opens in a browser as is); <c>signed-preview-url</c> is a fresh link that
/// expires, its token in the host as Daytona's are, and dies everywhere on <c>expire</c>. Tokens open only their port.
/// </summary>
internal static class DaytonaPreviewsApi
{
    /// <summary>Daytona's default and longest lifetimes of a signed link.</summary>
    private const int DefaultSignedSeconds = 60;
    private const int MaxSignedSeconds = 24 * 3600;

    public static RouteGroupBuilder MapDaytonaPreviewsApi(this RouteGroupBuilder api)
    {
        var ports = api.MapGroup("/sandbox/{idOrName}/ports/{port:int}");
        ports.MapGet("/preview-url", PreviewUrlAsync);
        ports.MapGet("/signed-preview-url", SignedPreviewUrlAsync);
        ports.MapPost("/signed-preview-url/{token}/expire", ExpireAsync);
        return api;
    }

    private static async Task<IResult> PreviewUrlAsync(
        HttpContext context, IGrainFactory grains, IOptions<PreviewOptions> options, string idOrName, int port)
    {
        var issued = await (await DaytonaSandboxesApi.ResolveAsync(grains, idOrName)).GetStandingPreviewAsync(port);
        var preview = PreviewLinks.Describe(issued, context.Request, options.Value);
        return TypedResults.Ok(new DaytonaPreviewLink(preview.SandboxId, preview.Url!, issued.Token));
    }

    private static async Task<IResult> SignedPreviewUrlAsync(
        HttpContext context, IGrainFactory grains, IOptions<PreviewOptions> options, string idOrName, int port, int? expiresInSeconds)
    {
        var seconds = expiresInSeconds ?? DefaultSignedSeconds;
        if (seconds is < 1 or > MaxSignedSeconds)
        {
            return Problems.InvalidField("expiresInSeconds", $"must be from 1 to {MaxSignedSeconds}");
        }

        var issued = await (await DaytonaSandboxesApi.ResolveAsync(grains, idOrName)).CreatePreviewAsync(port, TimeSpan.FromSeconds(seconds));
        var preview = PreviewLinks.Describe(issued, context.Request, options.Value);
        return TypedResults.Ok(new DaytonaSignedPreviewLink(preview.SandboxId, port, issued.Token, preview.HostUrl!));
    }

    private static async Task<IResult> ExpireAsync(IGrainFactory grains, string idOrName, int port, string token)
    {
        var sandbox = await DaytonaSandboxesApi.ResolveAsync(grains, idOrName);
        var hash = PreviewTokens.IsWellFormed(token) ? PreviewTokens.Hash(token) : null;
        var link = (await sandbox.ListPreviewsAsync()).FirstOrDefault(p => p.TokenHash == hash && p.Grant.Port == port);

        // Revoking tells every silo's front end before it returns: the link is dead everywhere when this answers.
        return link is not null && await sandbox.RevokePreviewAsync(link.TokenHash)
            ? TypedResults.Ok()
            : Problems.NotFound(SandboxErrorCodes.PreviewNotFound, $"sandbox {idOrName} has no preview link with this token on port {port}");
    }
}

/// <summary>Daytona's <c>PortPreviewUrl</c>: <c>{sandboxId, url, token}</c>.</summary>
internal sealed record DaytonaPreviewLink(string SandboxId, string Url, string Token);

/// <summary>Daytona's <c>SignedPortPreviewUrl</c>: <c>{sandboxId, port, token, url}</c>.</summary>
internal sealed record DaytonaSignedPreviewLink(string SandboxId, int Port, string Token, string Url);
