using SandboxGrains.Previews;
using SandboxGrains.Silo.Api;
using SandboxGrains.Silo.Sandboxes;

namespace SandboxGrains.Silo.Previews;

/// <summary>Preview links of a sandbox: make, list, revoke (by token, or by id from the list).</summary>
internal static class PreviewsApi
{
    public static RouteGroupBuilder MapPreviewsApi(this RouteGroupBuilder api)
    {
        var sandbox = api.MapGroup("/sandboxes/{id}/previews").AddEndpointFilter<SandboxErrorFilter>();
        sandbox.MapPost("/", CreateAsync).WithName("CreatePreview").WithSummary("A preview link to a port of the sandbox; its token is shown this once")
            .Takes<CreatePreviewRequest>().Produces<Preview>(StatusCodes.Status201Created).Answers(SandboxErrorCodes.NotFound, SandboxErrorCodes.PreviewLimitReached, SandboxErrorCodes.InvalidState);
        sandbox.MapGet("/", ListAsync).WithName("ListPreviews").WithSummary("A sandbox's preview links, without their tokens").Produces<PreviewList>().Answers(SandboxErrorCodes.NotFound);
        sandbox.MapDelete("/{previewId}", RevokeByIdAsync).WithName("RevokePreviewById").WithSummary("Revoke a preview link by its id")
            .Produces(StatusCodes.Status204NoContent).Answers(SandboxErrorCodes.NotFound, SandboxErrorCodes.PreviewNotFound);
        api.MapDelete("/previews/{token}", RevokeAsync).AddEndpointFilter<SandboxErrorFilter>().WithName("RevokePreview")
            .WithSummary("Revoke a preview link by its token; every silo refuses it before this returns")
            .Produces(StatusCodes.Status204NoContent).Answers(SandboxErrorCodes.PreviewNotFound);
        return api;
    }

    private static async Task<IResult> CreateAsync(HttpContext context, string id, IGrainFactory grains, IOptions<PreviewOptions> options)
    {
        var (body, bodyProblem) = await RequestBodies.ReadAsync<CreatePreviewRequest>(context);
        if (body is null)
        {
            return bodyProblem!;
        }

        if (body.Port is not { } port)
        {
            return Problems.InvalidField("port", "is required: the port inside the sandbox the link opens");
        }

        if (body.ExpiresInSeconds is < 1 or > MaxLifetimeSeconds)
        {
            return Problems.InvalidField("expiresInSeconds", $"must be from 1 to {MaxLifetimeSeconds} (a year), or omitted for no expiry");
        }

        var expiresIn = body.ExpiresInSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : (TimeSpan?)null;
        var issued = await SandboxesApi.SandboxGrain(grains, id).CreatePreviewAsync(port, expiresIn);
        return TypedResults.Created($"/api/v1/sandboxes/{id}/previews/{issued.Record.Id}", PreviewLinks.Describe(issued, context.Request, options.Value));
    }

    private static async Task<IResult> ListAsync(string id, IGrainFactory grains)
    {
        var records = await SandboxesApi.SandboxGrain(grains, id).ListPreviewsAsync();
        return TypedResults.Ok(new PreviewList([.. records.Select(Preview.From)]));
    }

    private static async Task<IResult> RevokeByIdAsync(string id, string previewId, IGrainFactory grains) =>
        await SandboxesApi.SandboxGrain(grains, id).RevokePreviewAsync(previewId)
            ? TypedResults.NoContent()
            : Problems.NotFound(SandboxErrorCodes.PreviewNotFound, $"sandbox {id} has no preview {previewId}");

    private static async Task<IResult> RevokeAsync(string token, IGrainFactory grains)
    {
        var unknown = Problems.NotFound(SandboxErrorCodes.PreviewNotFound, "no preview link with this token");
        if (!PreviewTokens.IsWellFormed(token))
        {
            return unknown;
        }

        var tokenHash = PreviewTokens.Hash(token);
        var grant = await grains.GetGrain<IPreviewGrain>(tokenHash).GetAsync();
        if (grant is null)
        {
            return unknown;
        }

        bool revokedBySandbox;
        try
        {
            revokedBySandbox = await grains.GetGrain<ISandboxGrain>(grant.SandboxId).RevokePreviewAsync(tokenHash);
        }
        catch (SandboxException e) when (e.Code == SandboxErrorCodes.NotFound)
        {
            revokedBySandbox = false;
        }

        if (!revokedBySandbox)
        {
            // The link outlived its sandbox's record of it (a crash between the two writes): revoke the link itself.
            await grains.GetGrain<IPreviewGrain>(tokenHash).RevokeAsync();
        }

        return TypedResults.NoContent();
    }

    private const long MaxLifetimeSeconds = 365L * 24 * 3600;
}
