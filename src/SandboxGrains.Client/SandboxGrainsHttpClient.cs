using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace SandboxGrains.Client;

/// <summary>Typed HTTP client over the v1 API for backends outside the cluster. First slice: runners.</summary>
public sealed class SandboxGrainsHttpClient(HttpClient http)
{
    /// <summary>Creates a client for <paramref name="baseAddress"/> that sends <paramref name="apiKey"/> as a bearer token.</summary>
    public static SandboxGrainsHttpClient Create(Uri baseAddress, string apiKey)
    {
        var http = new HttpClient { BaseAddress = baseAddress };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        return new SandboxGrainsHttpClient(http);
    }

    /// <summary>The cluster's runners, as <c>GET /api/v1/runners</c> returns them.</summary>
    public async Task<IReadOnlyList<RunnerSummary>> ListRunnersAsync(CancellationToken cancellationToken = default)
    {
        using var response = await http.GetAsync(new Uri("/api/v1/runners", UriKind.Relative), cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            throw new HttpRequestException($"GET /api/v1/runners answered {(int)response.StatusCode}: {body}", null, response.StatusCode);
        }

        var list = await response.Content.ReadFromJsonAsync<ItemList<RunnerSummary>>(Json, cancellationToken).ConfigureAwait(false);
        return list?.Items ?? [];
    }

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private sealed record ItemList<T>(IReadOnlyList<T> Items);
}

/// <summary>A runner as the HTTP API describes it.</summary>
public sealed record RunnerSummary(string Id, string? Endpoint, string Status, string? StatusReason, int SandboxCount);
