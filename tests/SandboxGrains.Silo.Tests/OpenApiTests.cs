using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using SandboxGrains.Testing;
using Xunit;

namespace SandboxGrains.Silo.Tests;

/// <summary>
/// The OpenAPI document a running silo serves describes every route of the native API, and the route table in
/// docs/api.md names exactly the same ones: a route added, renamed or dropped on one side only fails here.
/// </summary>
public sealed partial class OpenApiTests(SiloFixture fixture) : IClassFixture<SiloFixture>
{
    [Fact]
    public async Task OpenApiDocument_CoversEveryNativeRoute_AndDocsApiMdNamesTheSameOnes()
    {
        using var client = fixture.Silo.CreateClient(authenticated: false);
        using var response = await client.GetAsync("/openapi/v1.json", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));

        var described = document.RootElement.GetProperty("paths").EnumerateObject()
            .SelectMany(path => path.Value.EnumerateObject()
                .Where(operation => operation.Name is "get" or "post" or "put" or "patch" or "delete")
                .Select(operation => $"{operation.Name.ToUpperInvariant()} {path.Name}"))
            .ToHashSet();
        var documented = DocumentedRoute().Matches(await File.ReadAllTextAsync(Path.Combine(RepositoryPaths.Root, "docs", "api.md"), TestContext.Current.CancellationToken))
            .Select(m => $"{m.Groups["method"].Value} {m.Groups["path"].Value}")
            .ToHashSet();

        Assert.Contains("POST /api/v1/sandboxes", described);
        Assert.Empty(documented.Except(described).Order());
        Assert.Empty(described.Except(documented).Order());

        // Every operation says what it does; every API route names the key it needs and the problems it can answer.
        foreach (var path in document.RootElement.GetProperty("paths").EnumerateObject())
        {
            foreach (var operation in path.Value.EnumerateObject().Where(o => o.Name is "get" or "post" or "put" or "patch" or "delete"))
            {
                var name = $"{operation.Name.ToUpperInvariant()} {path.Name}";
                Assert.True(operation.Value.TryGetProperty("summary", out var summary) && summary.GetString()!.Length > 4, $"{name} has no summary");
                if (path.Name.StartsWith("/api/v1/", StringComparison.Ordinal))
                {
                    var responses = operation.Value.GetProperty("responses");
                    Assert.Contains("`unauthorized`", responses.GetProperty("401").GetProperty("description").GetString(), StringComparison.Ordinal);
                    Assert.True(responses.EnumerateObject().Any(r => r.Name.StartsWith('2')), $"{name} describes no success");
                }
            }
        }

        var create = document.RootElement.GetProperty("paths").GetProperty("/api/v1/sandboxes").GetProperty("post");
        Assert.Equal("#/components/schemas/CreateSandboxRequest", create.GetProperty("requestBody").GetProperty("content").GetProperty("application/json").GetProperty("schema").GetProperty("$ref").GetString());
        Assert.Contains("`no_capacity`", create.GetProperty("responses").GetProperty("503").GetProperty("description").GetString(), StringComparison.Ordinal);
        Assert.Equal("bearer", document.RootElement.GetProperty("components").GetProperty("securitySchemes").GetProperty("apiKey").GetProperty("scheme").GetString());
    }

    [Fact]
    public async Task ReferencePage_IsServedFromTheSilo_WithNoScriptFromElsewhere()
    {
        using var client = fixture.Silo.CreateClient(authenticated: false);
        var page = await client.GetStringAsync("/scalar/", TestContext.Current.CancellationToken);
        Assert.DoesNotContain("https://", page, StringComparison.Ordinal);
        foreach (Match script in Regex.Matches(page, @"src=""(?<src>[^""]+)"""))
        {
            using var served = await client.GetAsync($"/scalar/{script.Groups["src"].Value}", TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        }
    }

    [GeneratedRegex(@"^\| `(?<method>GET|POST|PUT|PATCH|DELETE) (?<path>/[^ `]*)`", RegexOptions.Multiline)]
    private static partial Regex DocumentedRoute();
}
