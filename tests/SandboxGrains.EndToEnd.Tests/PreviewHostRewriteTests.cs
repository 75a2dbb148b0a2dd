using System.Net.Http.Json;
using System.Text.Json;

namespace SandboxGrains.EndToEnd.Tests;

/// <summary><c>Previews:RewriteHost</c>: dev servers that check Host (Vite) see <c>localhost:{port}</c>, and no token.</summary>
public sealed class PreviewHostRewriteTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task RewriteHostOn_AppSeesLocalhostAndPort_InBothForms_NeverTheToken()
    {
        await Requirements.DockerAsync();
        await using var silo = SiloProcess.Start(new Dictionary<string, string> { ["Previews:RewriteHost"] = "true", ["Runner:CpuOvercommit"] = "32" });
        await silo.WaitUntilAsync("/readyz", TimeSpan.FromSeconds(60), Ct);
        var client = SandboxGrainsHttpClient.Create(silo.BaseAddress, silo.ApiKey);
        var sandbox = await client.CreateSandboxAsync(new CreateSandboxRequest { Image = "sandboxgrains/base:latest", Cpu = 0.5, MemoryMb = 256 }, Ct);
        await PreviewApp.StartAsync(silo, client, sandbox.Id, Ct);
        var preview = await client.CreatePreviewAsync(sandbox.Id, PreviewApp.Port, cancellationToken: Ct);
        using var browser = new HttpClient(PreviewApp.LoopbackHandler(silo));

        foreach (var url in new[] { preview.Url!, preview.HostUrl! })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            request.Headers.Add("Origin", new Uri(url).GetLeftPart(UriPartial.Authority));
            var seen = await Eventually.WaitAsync(
                async () => { using var r = await browser.SendAsync(Clone(request), Ct); return (r.StatusCode, Body: await r.Content.ReadAsStringAsync(Ct)); },
                r => r.StatusCode == System.Net.HttpStatusCode.OK,
                TimeSpan.FromSeconds(15),
                $"the app answering through {url}");
            var headers = JsonDocument.Parse(seen.Body).RootElement.GetProperty("headers").EnumerateArray().ToDictionary(h => h[0].GetString()!, h => h[1].GetString()!, StringComparer.OrdinalIgnoreCase);
            Assert.Equal($"localhost:{PreviewApp.Port}", headers["Host"]);
            Assert.DoesNotContain(headers, h => h.Value.Contains(preview.Token!, StringComparison.Ordinal));
        }

        await client.DeleteSandboxAsync(sandbox.Id, cancellationToken: Ct);
    }

    private static HttpRequestMessage Clone(HttpRequestMessage original)
    {
        var copy = new HttpRequestMessage(original.Method, original.RequestUri);
        foreach (var header in original.Headers)
        {
            copy.Headers.TryAddWithoutValidation(header.Key, header.Value);
        }

        return copy;
    }
}
