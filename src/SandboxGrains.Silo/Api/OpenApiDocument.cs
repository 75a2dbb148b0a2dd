using Microsoft.OpenApi;
using Scalar.AspNetCore;

namespace SandboxGrains.Silo.Api;

/// <summary>
/// The machine-readable description of the native API (<c>/openapi/v1.json</c>, ASP.NET Core's own generator): the
/// <c>/api/v1</c> routes and the health endpoints, with the API key as a bearer scheme. The toolbox and preview lanes
/// forward whatever a sandbox serves, so they are described in <c>docs/api.md</c> and <c>docs/daemon.md</c>, not here.
/// </summary>
internal static class OpenApiDocument
{
    private const string BearerScheme = "apiKey";

    public const string Path = "/openapi/{documentName}.json";

    /// <summary>The readable reference page over the document (Scalar's, its scripts inside the package: no CDN).</summary>
    public const string ReferencePath = "/scalar";

    /// <summary>The document and its reference page; neither needs a key (they describe the API, they hold no data).</summary>
    public static WebApplication MapApiReference(this WebApplication app)
    {
        app.MapOpenApi(Path);
        app.MapScalarApiReference(ReferencePath, options => options
            .WithTitle("SandboxGrains API")
            .AddPreferredSecuritySchemes(BearerScheme));
        return app;
    }

    public static IServiceCollection AddSandboxGrainsOpenApi(this IServiceCollection services) => services.AddOpenApi("v1", options =>
    {
        options.ShouldInclude = description =>
            description.RelativePath is { } path && (path.StartsWith("api/v1/", StringComparison.Ordinal) || path is "healthz" or "readyz");
        options.AddOperationTransformer((operation, context, _) =>
        {
            DescribeProblems(operation, context.Description.RelativePath ?? "", context.Description.ActionDescriptor.EndpointMetadata);
            return Task.CompletedTask;
        });
        options.AddDocumentTransformer((document, _, _) =>
        {
            document.Components ??= new OpenApiComponents();
            document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
            document.Components.SecuritySchemes[BearerScheme] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                Description = "An API key (Api:Keys, SANDBOXGRAINS_API_KEY, or the one the silo generated). X-API-Key: <key> works too.",
            };
            document.Security ??= [];
            document.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(BearerScheme, document)] = [] });
            document.Info = new OpenApiInfo
            {
                Title = "SandboxGrains",
                Version = "v1",
                Description = "Sandboxes for AI agents on Docker and Orleans. Every /api route needs Authorization: Bearer <API key> (or X-API-Key). Errors are application/problem+json with a stable code; docs/api.md lists them.",
            };
            return Task.CompletedTask;
        });
    });

    /// <summary>
    /// One response per problem status a route can answer, its description naming the codes: the route's own
    /// (<see cref="ApiDescriptions.Answers"/>) and, on every <c>/api/v1</c> route, a missing key and a cluster re-forming.
    /// </summary>
    private static void DescribeProblems(OpenApiOperation operation, string path, IEnumerable<object> metadata)
    {
        var codes = metadata.OfType<ApiDescriptions.ProblemCodes>().SelectMany(c => c.Codes).ToList();
        var statuses = codes.GroupBy(SandboxErrorCodes.HttpStatus).ToDictionary(g => g.Key, g => g.Distinct().ToList());
        if (path.StartsWith("api/v1/", StringComparison.Ordinal))
        {
            statuses[StatusCodes.Status401Unauthorized] = ["unauthorized"];
            statuses[StatusCodes.Status503ServiceUnavailable] = [.. statuses.GetValueOrDefault(StatusCodes.Status503ServiceUnavailable, []).Append(SandboxErrorCodes.ClusterUnavailable).Distinct()];
        }

        operation.Responses ??= [];
        foreach (var (status, named) in statuses.OrderBy(s => s.Key))
        {
            var key = status.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (!operation.Responses.TryGetValue(key, out var response) || response is not OpenApiResponse known)
            {
                known = new OpenApiResponse { Content = new Dictionary<string, OpenApiMediaType> { ["application/problem+json"] = new() } };
                operation.Responses[key] = known;
            }

            known.Description = $"application/problem+json with code {string.Join(", ", named.Select(c => $"`{c}`"))} (docs/api.md, \"Error codes\", says when each happens)";
        }
    }
}

