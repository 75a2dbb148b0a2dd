using Microsoft.OpenApi;

namespace SandboxGrains.Silo.Api;

/// <summary>
/// The machine-readable description of the native API (<c>/openapi/v1.json</c>, ASP.NET Core's own generator): the
/// <c>/api/v1</c> routes and the health endpoints, with the API key as a bearer scheme. The toolbox and preview lanes
/// forward whatever a sandbox serves, so they are described in <c>docs/api.md</c> and <c>docs/daemon.md</c>, not here.
/// </summary>
internal static class OpenApiDocument
{
    public const string Path = "/openapi/{documentName}.json";

    public static IServiceCollection AddSandboxGrainsOpenApi(this IServiceCollection services) => services.AddOpenApi("v1", options =>
    {
        options.ShouldInclude = description =>
            description.RelativePath is { } path && (path.StartsWith("api/v1/", StringComparison.Ordinal) || path is "healthz" or "readyz");
        options.AddDocumentTransformer((document, _, _) =>
        {
            document.Info = new OpenApiInfo
            {
                Title = "SandboxGrains",
                Version = "v1",
                Description = "Sandboxes for AI agents on Docker and Orleans. Every /api route needs Authorization: Bearer <API key> (or X-API-Key). Errors are application/problem+json with a stable code; docs/api.md lists them.",
            };
            return Task.CompletedTask;
        });
    });
}
