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
    }

    [GeneratedRegex(@"^\| `(?<method>GET|POST|PUT|PATCH|DELETE) (?<path>/[^ `]*)`", RegexOptions.Multiline)]
    private static partial Regex DocumentedRoute();
}
