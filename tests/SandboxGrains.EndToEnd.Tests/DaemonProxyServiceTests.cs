using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace SandboxGrains.EndToEnd.Tests;

/// <summary>
/// Seed 002's daemon-proxy service in docker mode, configured by its own YAML file, flags and variables (volume and
/// direct injection): a silo whose default target is a container started by hand, reached
/// by <c>/proxy/{port}/…</c>, with links made, counted and revoked through <c>/api/preview/…</c>, and <c>/health</c> and
/// <c>/daemon/status</c> about it; and a mode that needs a container refusing to start without one.
/// </summary>
public sealed class DaemonProxyServiceTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task DockerMode_ProxiesToTheTargetContainer_AndMakesCountsAndRevokesItsLinks()
    {
        await Requirements.DockerAsync();
        var name = $"seed002-{Guid.NewGuid():N}"[..20];
        await ProcessRunner.DockerAsync("run", "-d", "--name", name, "sandboxgrains/base:latest", "sleep", "1d");
        try
        {
            await ProcessRunner.DockerAsync("exec", "-d", name, "python3", "-m", "http.server", "8080", "--directory", "/etc");

            // The preview tests' app (HTTP and a WebSocket echo), moved to 9080 and 9081: 8080 is taken.
            var app = Path.Combine(Path.GetTempPath(), $"{name}-app.py");
            await File.WriteAllTextAsync(app, PreviewApp.Script.Replace("8081", "9081", StringComparison.Ordinal).Replace("8080", "9080", StringComparison.Ordinal), Ct);
            await ProcessRunner.DockerAsync("cp", app, $"{name}:/opt/app.py");
            await ProcessRunner.DockerAsync("exec", "-d", name, "python3", "/opt/app.py");
            // Configured as seed 002 is: its YAML file, its keys.
            var config = Path.Combine(Path.GetTempPath(), $"{name}.yaml");
            await File.WriteAllTextAsync(config, $"""
                daemon:
                  mode: "docker"
                  port: 2280
                  container_name: "{name}"
                  startup_timeout: 30
                  injection_mode: "volume"
                logging:
                  level: "INFO"
                """, Ct);
            await using var silo = SiloProcess.Start(new Dictionary<string, string> { ["config"] = config });
            await silo.WaitUntilAsync("/health", TimeSpan.FromSeconds(60), Ct);
            using var http = silo.CreateClient();

            var status = await http.GetFromJsonAsync<JsonElement>("/daemon/status", Ct);
            Assert.Equal((name, true, "copy"), (status.GetProperty("container").GetString(), status.GetProperty("running").GetBoolean(), status.GetProperty("injection").GetString()));

            // /proxy/{port}/… reaches the app in the target through its daemon, path and query intact; it needs the key.
            var hostname = (await ProcessRunner.DockerAsync("exec", name, "cat", "/etc/hostname")).Trim();
            var proxied = await Eventually.WaitAsync(
                async () => { using var r = await http.GetAsync("/proxy/8080/hostname?x=1", Ct); return (r.StatusCode, Body: await r.Content.ReadAsStringAsync(Ct)); },
                r => r.StatusCode == HttpStatusCode.OK,
                TimeSpan.FromSeconds(15),
                "the app answering through /proxy");
            Assert.Equal(hostname, proxied.Body.Trim());
            using (var anonymous = silo.CreateClient(authenticated: false))
            {
                Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/proxy/8080/hostname", Ct)).StatusCode);
            }

            // A WebSocket through /proxy, both ways.
            await Eventually.WaitAsync(
                async () => { using var r = await http.GetAsync("/proxy/9080/page", Ct); return r.StatusCode; },
                s => s == HttpStatusCode.OK,
                TimeSpan.FromSeconds(15),
                "the WebSocket app answering through /proxy");
            using (var socket = new System.Net.WebSockets.ClientWebSocket())
            {
                socket.Options.SetRequestHeader("Authorization", $"Bearer {silo.ApiKey}");
                await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{silo.HttpPort}/proxy/9080/ws"), Ct);
                await socket.SendAsync("through the proxy"u8.ToArray(), System.Net.WebSockets.WebSocketMessageType.Text, true, Ct);
                var buffer = new byte[64];
                var received = await socket.ReceiveAsync(buffer, Ct);
                Assert.Equal("through the proxy", System.Text.Encoding.UTF8.GetString(buffer, 0, received.Count));
                await socket.CloseAsync(System.Net.WebSockets.WebSocketCloseStatus.NormalClosure, "done", Ct);
            }

            using var created = await http.PostAsJsonAsync("/api/preview/create", new { port = 8080 }, Ct);
            Assert.Equal(HttpStatusCode.OK, created.StatusCode);
            var link = await created.Content.ReadFromJsonAsync<JsonElement>(Ct);
            var url = link.GetProperty("url").GetString()!;
            var token = link.GetProperty("token").GetString()!;
            using var browser = new HttpClient(PreviewApp.LoopbackHandler(silo));
            Assert.Equal(hostname, (await browser.GetStringAsync($"{url}hostname", Ct)).Trim());

            var stats = await http.GetFromJsonAsync<JsonElement>("/api/preview/stats", Ct);
            Assert.Equal((1, 1, 0), (stats.GetProperty("total").GetInt32(), stats.GetProperty("active").GetInt32(), stats.GetProperty("expired").GetInt32()));
            Assert.DoesNotContain(token, stats.GetRawText(), StringComparison.Ordinal);

            Assert.Equal(HttpStatusCode.OK, (await http.DeleteAsync($"/api/preview/{token}", Ct)).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await browser.GetAsync(url, Ct)).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await http.DeleteAsync($"/api/preview/{token}", Ct)).StatusCode);
            Assert.Equal(0, (await http.GetFromJsonAsync<JsonElement>("/api/preview/stats", Ct)).GetProperty("total").GetInt32());

            var health = await http.GetFromJsonAsync<JsonElement>("/health", Ct);
            Assert.Equal("healthy", health.GetProperty("status").GetString());
        }
        finally
        {
            await ProcessRunner.RunAsync("docker", ["rm", "-f", name], cancellationToken: CancellationToken.None);
        }
    }

    [Fact]
    public async Task DirectInjection_FromEnvironmentVariables_StartsTheDaemonTheImageCarries()
    {
        await Requirements.DockerAsync();
        var name = $"seed002d-{Guid.NewGuid():N}"[..20];

        // tools/build-images.sh with-daemon: busybox with the bundle at /opt/sandboxgrains, where Daemon:ImageDaemonPath looks.
        await ProcessRunner.DockerAsync("run", "-d", "--name", name, "sandboxgrains/with-daemon:latest", "sleep", "1d");
        try
        {
            await ProcessRunner.DockerAsync("exec", name, "sh", "-c", "mkdir -p /www && echo served by busybox > /www/index.html");
            await ProcessRunner.DockerAsync("exec", "-d", name, "httpd", "-f", "-p", "8080", "-h", "/www");

            // Configured as seed 002's environment variables have it (the container's name has only a flag there).
            await using var silo = SiloProcess.Start(
                new Dictionary<string, string> { ["container-name"] = name },
                new Dictionary<string, string?> { ["DAEMON_MODE"] = "docker", ["DAEMON_INJECTION_MODE"] = "direct", ["LOG_LEVEL"] = "INFO" });
            await silo.WaitUntilAsync("/health", TimeSpan.FromSeconds(60), Ct);
            using var http = silo.CreateClient();

            var status = await http.GetFromJsonAsync<JsonElement>("/daemon/status", Ct);
            Assert.Equal((name, true, "none"), (status.GetProperty("container").GetString(), status.GetProperty("running").GetBoolean(), status.GetProperty("injection").GetString()));

            // The image's own daemon runs; nothing was copied in.
            var daemons = await ProcessRunner.DockerAsync("exec", name, "sh", "-c", "ps -o args | grep '[s]andboxd' || true");
            Assert.Contains("/opt/sandboxgrains/sandboxd", daemons, StringComparison.Ordinal);
            Assert.Equal("served by busybox", (await http.GetStringAsync("/proxy/8080/index.html", Ct)).Trim());
        }
        finally
        {
            await ProcessRunner.RunAsync("docker", ["rm", "-f", name], cancellationToken: CancellationToken.None);
        }
    }

    [Fact]
    public async Task DockerMode_WithoutAContainer_RefusesToStart_SayingWhichSettingIsMissing()
    {
        // Seed 002's flags, as its command line has them.
        var output = await SiloRefusal.OutputAsync(new Dictionary<string, string> { ["daemon-mode"] = "docker", ["injection-mode"] = "sideways" }, cancellationToken: Ct);
        Assert.Contains("DaemonProxy:ContainerName is needed in docker mode (seed 002: daemon.container_name, --container-name)", output, StringComparison.Ordinal);
        Assert.Contains("--injection-mode) must be volume (copy the daemon in) or direct (the image has it); it is 'sideways'", output, StringComparison.Ordinal);
    }
}
