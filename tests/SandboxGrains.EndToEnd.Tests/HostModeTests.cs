using System.Net;
using System.Net.Http.Json;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace SandboxGrains.EndToEnd.Tests;

/// <summary>
/// Seed 002's host mode: a silo with no Docker engine reachable starts sandboxd on this host and serves it as its one
/// sandbox — <c>/proxy/{port}</c>, preview links and the toolbox reach the host itself — and refuses settings it cannot
/// honour with messages naming them.
/// </summary>
public sealed class HostModeTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task HostMode_WithoutDocker_ServesProxyPreviewsAndToolboxOnTheHost()
    {
        using var app = HostApp.Start();
        var daemonPort = FreePort.Next();
        var config = Path.Combine(Path.GetTempPath(), $"host-mode-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(config, $"""
            daemon:
              mode: "host"
              port: {daemonPort}
              startup_timeout: 30
            """, Ct);
        await using var silo = SiloProcess.Start(
            new Dictionary<string, string> { ["config"] = config },
            new Dictionary<string, string?> { ["DOCKER_HOST"] = "unix:///nonexistent/docker.sock" });
        await silo.WaitUntilAsync("/health", TimeSpan.FromSeconds(60), Ct);
        using var http = silo.CreateClient();

        var status = await http.GetFromJsonAsync<JsonElement>("/daemon/status", Ct);
        Assert.Equal(("host", "host", true, "none"), (
            status.GetProperty("container").GetString(), status.GetProperty("sandboxId").GetString(),
            status.GetProperty("running").GetBoolean(), status.GetProperty("injection").GetString()));
        Assert.Contains("Whoever holds an API key of this silo runs commands", silo.Output, StringComparison.Ordinal);

        // /proxy/{port}/… reaches an app on the host's loopback through the host's daemon, path and query intact.
        Assert.Equal("host app: GET /hello?x=1", await http.GetStringAsync($"/proxy/{app.Port}/hello?x=1", Ct));

        // A preview link to the same port, fetched without a key.
        using var created = await http.PostAsJsonAsync("/api/preview/create", new { port = app.Port }, Ct);
        Assert.Equal(HttpStatusCode.OK, created.StatusCode);
        var url = (await created.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("url").GetString()!;
        using var browser = new HttpClient(PreviewApp.LoopbackHandler(silo));
        Assert.Equal("host app: GET /page", await browser.GetStringAsync($"{url}page", Ct));
        Assert.Equal("host app: GET /again", await browser.GetStringAsync($"{url}again", Ct));

        // Seed 002's stats count the requests served through each link.
        var stats = await http.GetFromJsonAsync<JsonElement>("/api/preview/stats", Ct);
        var counted = stats.GetProperty("links").EnumerateArray().Single();
        Assert.Equal((1, 2L, 2L), (stats.GetProperty("active").GetInt32(), counted.GetProperty("requestsServed").GetInt64(), stats.GetProperty("requestsServed").GetInt64()));

        // The toolbox runs commands on the host, as the silo's user, in the daemon's work directory.
        using var executed = await http.PostAsJsonAsync("/toolbox/host/process/execute", new { command = "sh -c 'echo $((6 * 7)) $(id -un)'" }, Ct);
        var result = await executed.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal((0, $"42 {Environment.UserName}"), (result.GetProperty("exitCode").GetInt32(), result.GetProperty("result").GetString()!.Trim()));

        // The daemon listens on loopback only.
        foreach (var address in OwnAddresses())
        {
            using var probe = new TcpClient();
            await Assert.ThrowsAnyAsync<SocketException>(() => probe.ConnectAsync(address, daemonPort, Ct).AsTask());
        }

        // There is no engine to make sandboxes with: a create is refused up front, as any create without room is.
        using var create = await http.PostAsJsonAsync("/api/v1/sandboxes", new { image = "sandboxgrains/base:latest" }, Ct);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, create.StatusCode);
    }

    [Fact]
    public async Task HostMode_WithBadYamlKeys_RefusesToStart_NamingEachOne()
    {
        var config = Path.Combine(Path.GetTempPath(), $"host-mode-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(config, """
            daemon:
              mode: "host"
              port: "http"
              path: "/usr/local/bin/daytona"
              startup_timeout: "soon"
            logging:
              level: "LOUD"
            """, Ct);
        var output = await SiloRefusal.OutputAsync(new Dictionary<string, string> { ["config"] = config }, cancellationToken: Ct);
        Assert.Contains("daemon.port (DAEMON_PORT) must be a port from 1 to 65535, where the daemon listens; it is 'http'", output, StringComparison.Ordinal);
        Assert.Contains("daemon.path (DAEMON_PATH, DaemonProxy:DaemonPath) '/usr/local/bin/daytona' is not a sandboxd bundle", output, StringComparison.Ordinal);
        Assert.Contains("daemon.startup_timeout must be a positive number of seconds", output, StringComparison.Ordinal);
        Assert.Contains("logging.level (LOG_LEVEL) must be DEBUG, INFO, WARNING, ERROR or CRITICAL; it is 'LOUD'", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HostMode_InAClusterOrWithAnUnusableDaemonAddress_RefusesToStart()
    {
        var output = await SiloRefusal.OutputAsync(
            new Dictionary<string, string>
            {
                ["daemon-mode"] = "host",
                ["ConnectionStrings:redis"] = "127.0.0.1:1",
                ["DaemonProxy:HostDaemonAddress"] = "localhost",
            },
            cancellationToken: Ct);
        Assert.Contains("run host mode as a single silo (remove the cluster settings)", output, StringComparison.Ordinal);
        Assert.Contains("DaemonProxy:HostDaemonAddress must be ip:port of a sandboxd already listening (such as 127.0.0.1:2280); it is 'localhost'", output, StringComparison.Ordinal);
        Assert.Contains("DaemonProxy:HostDaemonTokenFile is needed with DaemonProxy:HostDaemonAddress", output, StringComparison.Ordinal);
    }

    /// <summary>This machine's own non-loopback IPv4 addresses.</summary>
    private static IEnumerable<IPAddress> OwnAddresses() => NetworkInterface.GetAllNetworkInterfaces()
        .Where(n => n.OperationalStatus == OperationalStatus.Up)
        .SelectMany(n => n.GetIPProperties().UnicastAddresses)
        .Select(u => u.Address)
        .Where(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a));

    /// <summary>An HTTP app on the host's loopback that answers with its request line.</summary>
    private sealed class HostApp : IDisposable
    {
        private readonly HttpListener _listener = new();

        private HostApp(int port)
        {
            Port = port;
            _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
            _listener.Start();
            _ = ServeAsync();
        }

        public int Port { get; }

        public static HostApp Start() => new(FreePort.Next());

        private async Task ServeAsync()
        {
            while (_listener.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await _listener.GetContextAsync();
                }
                catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
                {
                    return;
                }

                var body = Encoding.UTF8.GetBytes($"host app: {context.Request.HttpMethod} {context.Request.RawUrl}");
                context.Response.ContentType = "text/plain";
                await context.Response.OutputStream.WriteAsync(body);
                context.Response.Close();
            }
        }

        public void Dispose() => _listener.Close();
    }
}
