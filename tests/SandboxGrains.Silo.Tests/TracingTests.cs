using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;
using SandboxGrains.Testing;
using Xunit;

namespace SandboxGrains.Silo.Tests;

/// <summary>
/// Traces, read by OpenTelemetry's in-memory exporter from a silo hosted in this process (the real program, on real
/// Docker): a create is one trace from the API through the grains to the Docker calls, and a preview link's token is in
/// no span.
/// </summary>
public sealed class TracingTests
{
    private const string ApiKey = "tracing-key-0123456789abcdef";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ACreate_IsOneTraceFromTheApiThroughTheGrainsToDocker_AndNoSpanHoldsAPreviewToken()
    {
        await Requirements.DockerAsync();
        var spans = new SpanLog();
        var data = Directory.CreateTempSubdirectory("sandboxgrains-tracing-");
        var runnerId = $"trace-{Guid.NewGuid():N}"[..20];
        await using var silo = new WebApplicationFactory<Program>().WithWebHostBuilder(web =>
        {
            web.UseSetting("Silo:DataDirectory", data.FullName);
            web.UseSetting("Runner:Id", runnerId);
            web.UseSetting("Runner:HeartbeatInterval", "00:00:01");
            web.UseSetting("Runner:CpuOvercommit", "32");
            web.UseSetting("Orleans:Endpoints:SiloPort", FreePort.Next().ToString(CultureInfo.InvariantCulture));
            web.UseSetting("Orleans:Endpoints:GatewayPort", FreePort.Next().ToString(CultureInfo.InvariantCulture));
            web.UseSetting("Api:Keys:0", ApiKey);
            web.UseSetting("Telemetry:Tracing", "true");
            web.ConfigureServices(services => services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddInMemoryExporter(spans)));
        });
        using var client = silo.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ApiKey);
        await WaitUntilReadyAsync(client);

        using var created = await client.PostAsJsonAsync("/api/v1/sandboxes", new { image = "sandboxgrains/busybox:latest" }, Ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var sandboxId = (await created.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetString()!;
        try
        {
            using var previewed = await client.PostAsJsonAsync($"/api/v1/sandboxes/{sandboxId}/previews", new { port = 8080 }, Ct);
            var token = (await previewed.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("token").GetString()!;
            using (await client.GetAsync($"/preview/{token}/some/page", Ct))
            {
            }

            using (var hostForm = new HttpRequestMessage(HttpMethod.Get, "/index.html"))
            {
                hostForm.Headers.Host = $"8080-{token}.localhost";
                using var _ = await client.SendAsync(hostForm, Ct);
            }

            var recorded = spans.Snapshot();

            var request = Assert.Single(recorded, s => s.Kind == ActivityKind.Server && s.Source.Name == "Microsoft.AspNetCore"
                && (string?)s.GetTagItem("http.request.method") == "POST" && (string?)s.GetTagItem("url.path") == "/api/v1/sandboxes");
            var trace = recorded.Where(s => s.TraceId == request.TraceId).ToList();
            var create = Assert.Single(trace, s => s.DisplayName == "sandbox create");
            Assert.Equal(sandboxId, create.GetTagItem("sandboxgrains.sandbox.id"));
            Assert.Contains(trace, s => s.Source.Name.StartsWith("Microsoft.Orleans", StringComparison.Ordinal) && s.DisplayName.Contains("SandboxGrain", StringComparison.Ordinal));
            Assert.Contains(trace, s => s.Source.Name.StartsWith("Microsoft.Orleans", StringComparison.Ordinal) && s.DisplayName.Contains("RunnerGrain", StringComparison.Ordinal));
            var dockerCreate = Assert.Single(trace, s => s.DisplayName == "docker CreateContainer");
            Assert.Contains(trace, s => s.DisplayName == "docker StartContainer");

            // The Docker call hangs under the API's request, through the grain calls, not beside it.
            Assert.True(DescendsFrom(dockerCreate, request, trace), "the Docker span is not under the API request's span");
            Assert.True(DescendsFrom(dockerCreate, create, trace), "the Docker span is not under the sandbox grain's create span");

            var forwards = recorded.Where(s => s.DisplayName == "forward preview").ToList();
            Assert.Equal(2, forwards.Count);
            Assert.All(forwards, s => Assert.Equal(8080, s.GetTagItem("sandboxgrains.port")));
            Assert.All(forwards, s => Assert.Equal(sandboxId, s.GetTagItem("sandboxgrains.sandbox.id")));
            foreach (var span in recorded)
            {
                Assert.DoesNotContain(token, span.DisplayName, StringComparison.Ordinal);
                foreach (var (key, value) in span.TagObjects)
                {
                    Assert.False(value?.ToString()?.Contains(token, StringComparison.Ordinal) == true, $"span {span.DisplayName} tag {key} holds the token: {value}");
                    Assert.False(value?.ToString()?.Contains(ApiKey, StringComparison.Ordinal) == true, $"span {span.DisplayName} tag {key} holds the API key");
                }
            }
        }
        finally
        {
            using var deleted = await client.DeleteAsync($"/api/v1/sandboxes/{sandboxId}", CancellationToken.None);
            data.Delete(recursive: true);
        }
    }

    private static async Task WaitUntilReadyAsync(HttpClient client)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            using var ready = await client.GetAsync("/readyz", Ct);
            if (ready.IsSuccessStatusCode)
            {
                return;
            }

            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(60), $"the silo did not become ready: {await ready.Content.ReadAsStringAsync(Ct)}");
            await Task.Delay(200, Ct);
        }
    }

    /// <summary>What the exporter hands over, from whichever thread ends a span, read while the silo keeps making more.</summary>
    private sealed class SpanLog : System.Collections.ObjectModel.Collection<Activity>
    {
        private readonly Lock _lock = new();

        public Activity[] Snapshot()
        {
            lock (_lock)
            {
                return [.. this];
            }
        }

        protected override void InsertItem(int index, Activity item)
        {
            lock (_lock)
            {
                base.InsertItem(index, item);
            }
        }
    }

    private static bool DescendsFrom(Activity span, Activity ancestor, IReadOnlyList<Activity> trace)
    {
        var byId = trace.ToDictionary(s => s.SpanId);
        for (var parent = span.ParentSpanId; parent != default; parent = byId.TryGetValue(parent, out var next) ? next.ParentSpanId : default)
        {
            if (parent == ancestor.SpanId)
            {
                return true;
            }
        }

        return false;
    }
}
