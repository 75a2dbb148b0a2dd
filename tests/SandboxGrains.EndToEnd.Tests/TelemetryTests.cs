using System.Globalization;
using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace SandboxGrains.EndToEnd.Tests;

/// <summary>
/// Metrics and logs of a real silo process: <c>/metrics</c> moves with the work done, and a silo logging everything at
/// Debug level, as JSON with scopes and traces on, prints no API key, daemon secret or preview token whatever it is asked
/// to do. (Every test's silo is checked for its API key when it goes: <see cref="SiloProcess.DisposeAsync"/>.)
/// </summary>
public sealed partial class TelemetryTests : IAsyncLifetime
{
    private const string WrongKey = "wrong-key-that-must-not-be-logged-0123";

    private SiloProcess _silo = null!;
    private SandboxGrainsHttpClient _client = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        await Requirements.DockerAsync();
        _silo = SiloProcess.Start(
            new Dictionary<string, string> { ["Runner:CpuOvercommit"] = "32", ["Logging:LogLevel:Default"] = "Debug", ["Logging:LogLevel:Orleans"] = "Debug",
                ["Logging:LogLevel:Microsoft.AspNetCore"] = "Debug", ["Logging:LogLevel:Yarp"] = "Debug",
                // A provider-specific setting wins over general rules: the silo's own filters must hold against it too.
                ["Logging:Console:LogLevel:Default"] = "Trace", ["Telemetry:Tracing"] = "true" },
            new Dictionary<string, string?> { ["Logging__Console__FormatterName"] = "json" });
        _silo.MustNotPrint(WrongKey);
        await _silo.WaitUntilAsync("/readyz", TimeSpan.FromSeconds(60), Ct);
        _client = SandboxGrainsHttpClient.Create(_silo.BaseAddress, _silo.ApiKey);
    }

    public async ValueTask DisposeAsync() => await _silo.DisposeAsync();

    [Fact]
    public async Task Metrics_MoveWithACreate_TheToolboxAndAPreview()
    {
        using var http = _silo.CreateClient(authenticated: false);
        var before = Metrics.Parse(await http.GetStringAsync("/metrics", Ct));

        var sandbox = await _client.CreateSandboxAsync(new CreateSandboxRequest { Image = "sandboxgrains/base:latest", Cpu = 0.5, MemoryMb = 256 }, Ct);
        try
        {
            Assert.Equal("hi", (await _client.ExecuteAsync(sandbox.Id, "echo hi", cancellationToken: Ct)).Result.Trim());
            await PreviewApp.StartAsync(_silo, _client, sandbox.Id, Ct);
            var preview = await _client.CreatePreviewAsync(sandbox.Id, PreviewApp.Port, cancellationToken: Ct);
            using var browser = new HttpClient(PreviewApp.LoopbackHandler(_silo));
            Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync($"{preview.Url}page", Ct)).StatusCode);

            // The gauges are read from the runner grain every 10 s; the counters and histograms move at once.
            var after = await Eventually.WaitAsync(
                async () => Metrics.Parse(await http.GetStringAsync("/metrics", Ct)),
                m => m.Sum("sandboxgrains_runner_allocated", ("sandboxgrains_resource", "sandboxes")) >= 1,
                TimeSpan.FromSeconds(25),
                "the runner gauges showing the sandbox");

            var created = ("sandboxgrains_operation", "create");
            var ok = ("sandboxgrains_outcome", "ok");
            Assert.True(after.Sum("sandboxgrains_sandbox_operation_duration_seconds_count", created, ok) >= before.Sum("sandboxgrains_sandbox_operation_duration_seconds_count", created, ok) + 1);
            Assert.True(after.Sum("sandboxgrains_sandbox_operation_duration_seconds_bucket", created, ok, ("le", "+Inf")) >= 1);
            Assert.True(after.Sum("sandboxgrains_sandboxes", ("sandboxgrains_sandbox_state", "started")) >= 1);
            Assert.True(after.Sum("sandboxgrains_forward_duration_seconds_count", ("sandboxgrains_route", "toolbox")) > before.Sum("sandboxgrains_forward_duration_seconds_count", ("sandboxgrains_route", "toolbox")));
            Assert.True(after.Sum("sandboxgrains_forward_duration_seconds_count", ("sandboxgrains_route", "preview"), ("http_response_status_code", "200")) >= 1);
            Assert.True(after.Sum("sandboxgrains_forward_bytes_total", ("sandboxgrains_direction", "from_sandbox")) > before.Sum("sandboxgrains_forward_bytes_total", ("sandboxgrains_direction", "from_sandbox")));
            Assert.True(after.Sum("sandboxgrains_runner_capacity", ("sandboxgrains_resource", "cpu")) > 0);
            Assert.Equal(1, after.Sum("sandboxgrains_runner_healthy"));

            // ASP.NET Core's, Orleans' and the runtime's own instruments are there too.
            Assert.True(after.Sum("http_server_request_duration_seconds_count") > 0);
            Assert.Contains(after.Names, n => n.StartsWith("orleans_", StringComparison.Ordinal));
            Assert.Contains(after.Names, n => n.StartsWith("dotnet_", StringComparison.Ordinal) || n.StartsWith("process_runtime_dotnet_", StringComparison.Ordinal));
        }
        finally
        {
            await _client.DeleteSandboxAsync(sandbox.Id, cancellationToken: Ct);
        }
    }

    [Fact]
    public async Task Logs_AtDebugLevel_HoldNoApiKeyDaemonSecretOrPreviewToken_AndCarryTraceAndSandboxIds()
    {
        var sandbox = await _client.CreateSandboxAsync(
            new CreateSandboxRequest { Image = "sandboxgrains/base:latest", Cpu = 0.5, MemoryMb = 256, Injection = "copy", Cmd = ["sleep", "infinity"] }, Ct);
        try
        {
            // A copied-in daemon (beside the image's own command, which must keep the container running) reads its secret
            // from a file; the test reads it there.
            var secret = (await ProcessRunner.DockerAsync("exec", sandbox.ContainerId!, "sh", "-c", "cat /run/sandboxgrains/daemon-token")).Trim();
            Assert.Matches("^[0-9a-f]{64}$", secret);
            _silo.MustNotPrint(secret);

            await PreviewApp.StartAsync(_silo, _client, sandbox.Id, Ct);
            await _client.UploadFileAsync(sandbox.Id, "/tmp/f.txt", new MemoryStream(Encoding.UTF8.GetBytes("file")), Ct);
            var preview = await _client.CreatePreviewAsync(sandbox.Id, PreviewApp.Port, cancellationToken: Ct);
            var expired = await _client.CreatePreviewAsync(sandbox.Id, PreviewApp.Port, TimeSpan.FromSeconds(1), Ct);
            var revoked = await _client.CreatePreviewAsync(sandbox.Id, PreviewApp.Port, cancellationToken: Ct);
            foreach (var token in new[] { preview.Token!, expired.Token!, revoked.Token! })
            {
                _silo.MustNotPrint(token);
            }

            await _client.RevokePreviewAsync(revoked.Token!, Ct);
            await Task.Delay(TimeSpan.FromSeconds(1.2), Ct);

            // Every kind of request a token rides on: path and host form, with and without a body, a WebSocket, an
            // expired link, a revoked one, and a port the app does not listen on.
            using var browser = new HttpClient(PreviewApp.LoopbackHandler(_silo));
            Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync($"{preview.Url}page?x=1", Ct)).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync($"{preview.HostUrl}page", Ct)).StatusCode);
            using (var posted = await browser.PostAsync($"{preview.Url}echo", new StringContent("body"), Ct))
            {
                Assert.True(posted.IsSuccessStatusCode, $"POST through the preview answered {(int)posted.StatusCode}");
            }

            Assert.Equal(HttpStatusCode.Gone, (await browser.GetAsync(expired.Url, Ct)).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await browser.GetAsync(revoked.Url, Ct)).StatusCode);
            var unheard = await _client.CreatePreviewAsync(sandbox.Id, 9, cancellationToken: Ct);
            _silo.MustNotPrint(unheard.Token!);
            Assert.Equal(HttpStatusCode.BadGateway, (await browser.GetAsync(unheard.Url, Ct)).StatusCode);
            using (var socket = new ClientWebSocket())
            {
                await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{_silo.HttpPort}/preview/{preview.Token}/ws"), new HttpMessageInvoker(PreviewApp.LoopbackHandler(_silo)), Ct);
                await socket.SendAsync("hello"u8.ToArray(), WebSocketMessageType.Text, true, Ct);
                var buffer = new byte[64];
                Assert.Equal(5, (await socket.ReceiveAsync(buffer, Ct)).Count);
                await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", Ct);
            }

            // A wrong key on the API and on the toolbox, and a toolbox call the daemon refuses.
            using var wrong = new HttpClient { BaseAddress = _silo.BaseAddress };
            wrong.DefaultRequestHeaders.Authorization = new("Bearer", WrongKey);
            Assert.Equal(HttpStatusCode.Unauthorized, (await wrong.GetAsync("/api/v1/sandboxes", Ct)).StatusCode);
            Assert.Equal(HttpStatusCode.Unauthorized, (await wrong.GetAsync($"/toolbox/{sandbox.Id}/files?path=/", Ct)).StatusCode);
            using var http = _silo.CreateClient();
            Assert.False((await http.GetAsync($"/toolbox/{sandbox.Id}/files/download?path=/no/such/file", Ct)).IsSuccessStatusCode);
            await _client.StopSandboxAsync(sandbox.Id, Ct);
            await _client.StartSandboxAsync(sandbox.Id, Ct);
        }
        finally
        {
            await _client.DeleteSandboxAsync(sandbox.Id, cancellationToken: Ct);
        }

        Assert.Empty(_silo.PrintedSecrets());

        // JSON lines; what a sandbox's grain logs while serving a request names the sandbox and the request's trace.
        var lines = _silo.Output.Split('\n').Where(l => l.StartsWith('{')).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.NotEmpty(lines);
        Assert.Contains(lines, line => line.TryGetProperty("Scopes", out var scopes)
            && scopes.EnumerateArray().Any(s => s.TryGetProperty("SandboxId", out var id) && id.GetString() == sandbox.Id)
            && scopes.EnumerateArray().Any(s => s.TryGetProperty("TraceId", out _)));
    }

    /// <summary>Prometheus text, read as samples: name, labels, value.</summary>
    private sealed partial class Metrics
    {
        private readonly List<(string Name, Dictionary<string, string> Labels, double Value)> _samples = [];

        public IEnumerable<string> Names => _samples.Select(s => s.Name).Distinct();

        public static Metrics Parse(string text)
        {
            var metrics = new Metrics();
            foreach (Match line in Sample().Matches(text))
            {
                var labels = Label().Matches(line.Groups["labels"].Value).ToDictionary(l => l.Groups["key"].Value, l => l.Groups["value"].Value);
                metrics._samples.Add((line.Groups["name"].Value, labels, double.Parse(line.Groups["value"].Value, CultureInfo.InvariantCulture)));
            }

            return metrics;
        }

        public double Sum(string name, params (string Key, string Value)[] labels) =>
            _samples.Where(s => s.Name == name && labels.All(l => s.Labels.GetValueOrDefault(l.Key) == l.Value)).Sum(s => s.Value);

        [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>[^}]*)\})? (?<value>[-+0-9.eE]+|NaN|\+Inf)( \d+)?$", RegexOptions.Multiline)]
        private static partial Regex Sample();

        [GeneratedRegex(@"(?<key>[a-zA-Z_][a-zA-Z0-9_]*)=""(?<value>(?:[^""\\]|\\.)*)""")]
        private static partial Regex Label();
    }
}
