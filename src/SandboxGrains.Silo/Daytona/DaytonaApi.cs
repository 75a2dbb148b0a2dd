using SandboxGrains.Silo.Api;

namespace SandboxGrains.Silo.Daytona;

/// <summary>
/// Daytona's control-plane API at <c>/api</c> beside our <c>/api/v1</c>, so Daytona's 0.x SDKs work unmodified with
/// <c>DAYTONA_API_URL=http://host:5080/api</c> and one of our API keys (docs/daytona.md). An adapter only: every route
/// maps onto the grain calls the native API makes and maps the answers and errors back. Not in the OpenAPI document,
/// which describes the native API.
/// </summary>
internal static class DaytonaApi
{
    /// <summary>Daytona's API areas outside <c>/sandbox</c>, <c>/snapshots</c> and <c>/volumes</c> that its SDK reaches.</summary>
    private static readonly string[] UnservedAreas =
    [
        "object-storage", "docker-registry", "organizations", "users", "api-keys", "regions",
        "runners", "warm-pools", "secret", "audit", "jobs", "webhooks", "preview",
    ];

    public static IEndpointRouteBuilder MapDaytonaApi(this IEndpointRouteBuilder app)
    {
        // Daytona's own health and config routes need no key.
        var open = app.MapGroup("/api").AddEndpointFilter<DaytonaErrorFilter>().ExcludeFromDescription();
        open.MapGet("/health", () => TypedResults.Ok(new { status = "ok" }));
        open.MapGet("/config", (HttpContext context) => TypedResults.Ok(new
        {
            version = typeof(DaytonaApi).Assembly.GetName().Version?.ToString(3),
            toolboxProxyUrl = DaytonaSandboxesApi.ToolboxProxyUrl(context),
            defaultSnapshot = context.RequestServices.GetRequiredService<IOptions<SandboxOptions>>().Value.DefaultImage,
            maintananceMode = false, // sic: Daytona's field name
            analyticsApiUrl = (string?)null,
        }));

        // The event channel the SDK opens at construction: it authenticates in its first packet, not with a header.
        open.MapDaytonaEventChannel();

        // Outermost the Daytona error body, then the key, then grain failures as problems (which the first rewrites).
        var api = app.MapGroup("/api").AddEndpointFilter<DaytonaErrorFilter>().RequireApiKey().AddEndpointFilter<SandboxErrorFilter>()
            .ExcludeFromDescription();
        api.MapDaytonaSandboxesApi();
        api.MapDaytonaPreviewsApi();
        api.MapDaytonaSnapshotsApi();
        api.MapDaytonaVolumesApi();
        api.MapDaytonaSigningKey();

        // Signed file links carry no key: the two toolbox paths they use are served ahead of the toolbox's catch-all.
        app.MapDaytonaSignedFiles();

        // The rest of Daytona's API answers that it is not served here, never a 404 that reads like a missing sandbox.
        api.Map("/sandbox/{idOrName}/{**rest}", (HttpContext context, string? rest) =>
            DaytonaErrors.NotSupported(context, $"{context.Request.Method} /sandbox/{{id}}/{rest}"));
        foreach (var area in UnservedAreas)
        {
            api.Map($"/{area}/{{**rest}}", (HttpContext context) => DaytonaErrors.NotSupported(context, $"Daytona's /{area} API"));
        }

        return app;
    }
}
