using System.Globalization;
using System.Text;
using SandboxGrains.Client;
using SandboxGrains.Sandboxes;
using SandboxGrains.Testing;

namespace SandboxGrains.Bench;

/// <summary>
/// Preview throughput and latency (issue 5, bench item 2) and token resolution cost (item 3): nginx inside a sandbox is
/// the app; wrk hits it directly, through the daemon's <c>/proxy</c>, through a preview link (cached routes), through a
/// preview link on a silo with the route cache off, and through Debian's nginx as the reverse proxy a user would
/// otherwise put in front. Rounds are interleaved so drift on a shared machine hits every path alike.
/// </summary>
internal sealed class PreviewBench(BenchOptions options)
{
    private const string AppConfig = """
        daemon on; worker_processes 1; pid /tmp/app-nginx.pid; error_log /tmp/app-nginx.log;
        events { worker_connections 4096; }
        http {
          access_log off; keepalive_requests 1000000;
          server { listen 8080; location / { default_type text/plain; return 200 "hello from the sandbox\n"; } }
        }
        """;

    public async Task<IReadOnlyList<Measurement>> RunAsync()
    {
        await using var cached = await BenchSilo.StartAsync(new Dictionary<string, string>());
        await using var uncached = await BenchSilo.StartAsync(new Dictionary<string, string> { ["Routing:Lifetime"] = "00:00:00" });
        var app = await StartAppAsync(cached);
        var uncachedApp = await StartAppAsync(uncached);
        await using var nginx = await HostNginx.StartAsync(app.Address);
        await using var go = await GoReverseProxy.StartAsync(app.Address);

        var cases = new (string Name, string Url, Dictionary<string, string>? Headers)[]
        {
            ("direct", $"http://{app.Address}/", null),
            ("nginx", $"{nginx.BaseUrl}/", null),
            ("go", $"{go.BaseUrl}/", null),
            ("daemon", $"http://{app.DaemonAddress}{DaemonProtocol.ProxyPath(8080)}/", new() { [DaemonProtocol.SecretHeader] = app.DaemonToken }),
            ("preview", app.PreviewUrl, null),
            ("preview-uncached", uncachedApp.PreviewUrl, null),
            ("silo-healthz", $"{cached.Process.BaseAddress}healthz", null),
        };

        // Warm every path (JIT, pools) before measuring.
        foreach (var (_, url, headers) in cases)
        {
            await Wrk.RunAsync(url, options.Quick ? TimeSpan.FromSeconds(1) : TimeSpan.FromSeconds(2), options.Connections, headers);
        }

        var results = cases.ToDictionary(c => c.Name, _ => new List<Wrk.Result>());
        for (var round = 0; round < options.Rounds; round++)
        {
            foreach (var (name, url, headers) in cases)
            {
                var result = await Wrk.RunAsync(url, options.LoadDuration, options.Connections, headers);
                if (result.Errors > 0)
                {
                    throw new InvalidOperationException($"{name}: {result.Errors} failed requests; the measurement would be meaningless");
                }

                results[name].Add(result);
                Console.WriteLine($"  round {round + 1} {name}: {result.RequestsPerSecond:N0} req/s, p50 {result.P50Ms:0.00} ms, p99 {result.P99Ms:0.00} ms");
            }
        }

        IReadOnlyList<double> Rps(string name) => [.. results[name].Select(r => r.RequestsPerSecond)];
        IReadOnlyList<double> P50(string name) => [.. results[name].Select(r => r.P50Ms)];
        IReadOnlyList<double> P99(string name) => [.. results[name].Select(r => r.P99Ms)];
        IReadOnlyList<double> PerRequestUs(string name) => [.. results[name].Select(r => 1e6 / r.RequestsPerSecond)];
        const string Section = "Preview links";
        var resolutionUs = PerRequestUs("preview-uncached").Zip(PerRequestUs("preview"), (u, c) => (u - c) * options.Connections).ToList();
        var (echoThroughLink, echoDirect) = await EchoAsync(cached.Client, app);
        return
        [
            new(Section, "requests/s through a preview link vs through nginx", "req/s", Rps("preview"), "nginx reverse proxy", Rps("nginx"), HigherIsBetter: true, "target: ratio ≥ 0.9"),
            new(Section, "requests/s through a preview link vs through Go's httputil.ReverseProxy", "req/s", Rps("preview"), "Go reverse proxy", Rps("go"), HigherIsBetter: true,
                "the forwarder Go sandbox proxies are built on (bench/goproxy)"),
            new(Section, "requests/s through Go's httputil.ReverseProxy vs nginx", "req/s", Rps("go"), "nginx reverse proxy", Rps("nginx"), HigherIsBetter: true, "the two references side by side"),
            new(Section, $"{EchoBytes / (1024 * 1024)} MB echoed while it is sent, through a preview link vs straight to the container", "MB/s", echoThroughLink, "straight to the container", echoDirect,
                HigherIsBetter: true, "the app writes each piece back as it reads it; both bodies stream at once"),
            new(Section, "requests/s through a preview link vs the app directly", "req/s", Rps("preview"), "app directly", Rps("direct"), HigherIsBetter: true),
            new(Section, "requests/s through nginx vs the app directly", "req/s", Rps("nginx"), "app directly", Rps("direct"), HigherIsBetter: true, "the reference proxy's own cost"),
            new(Section, "requests/s through the daemon's /proxy vs the app directly", "req/s", Rps("daemon"), "app directly", Rps("direct"), HigherIsBetter: true, "the in-sandbox hop alone"),
            new(Section, "requests/s of the silo answering /healthz itself vs nginx proxying", "req/s", Rps("silo-healthz"), "nginx reverse proxy", Rps("nginx"), HigherIsBetter: true,
                "the silo's own ceiling: no proxying, no grain call"),
            new(Section, "p50 latency, preview vs nginx", "ms", P50("preview"), "nginx reverse proxy", P50("nginx"), HigherIsBetter: false),
            new(Section, "p99 latency, preview vs nginx", "ms", P99("preview"), "nginx reverse proxy", P99("nginx"), HigherIsBetter: false),
            new(Section, "p50 latency, preview vs the app directly", "ms", P50("preview"), "app directly", P50("direct"), HigherIsBetter: false),
            new("Token resolution", "requests/s, route cache off vs on", "req/s", Rps("preview-uncached"), "route cache on", Rps("preview"), HigherIsBetter: true),
            new("Token resolution", "p50 latency, route cache off vs on", "ms", P50("preview-uncached"), "route cache on", P50("preview"), HigherIsBetter: false),
            new("Token resolution", "added cost of an uncached lookup (two grain calls), per request", "µs", resolutionUs, "cached lookup", null, HigherIsBetter: false,
                $"derived: (1/rps uncached − 1/rps cached) × {options.Connections} connections"),
        ];
    }

    private const long EchoBytes = 64L * 1024 * 1024;

    /// <summary>
    /// A streaming echo (Python, in the same sandbox) timed straight to the container and through a preview link, rounds
    /// interleaved; MB/s of the echo, each way, with both bodies in flight at once.
    /// </summary>
    private async Task<(List<double> ThroughLink, List<double> Direct)> EchoAsync(SandboxGrainsHttpClient client, App app)
    {
        var sandboxId = app.SandboxId;
        await client.UploadFileAsync(sandboxId, "/opt/bench/echo.py", new MemoryStream(Encoding.UTF8.GetBytes(EchoApp)));
        var started = await client.ExecuteAsync(sandboxId, "sh -c 'python3 /opt/bench/echo.py >/tmp/echo.log 2>&1 &'");
        if (started.ExitCode != 0)
        {
            throw new InvalidOperationException($"the echo app did not start: {started.Result}");
        }

        var host = app.Address[..app.Address.LastIndexOf(':')];
        var direct = new System.Net.IPEndPoint(System.Net.IPAddress.Parse(host), EchoPort);
        await ListensAsync(direct, TimeSpan.FromSeconds(15));
        var link = await client.CreatePreviewAsync(sandboxId, EchoPort);
        var silo = new Uri(link.Url!);
        var throughSilo = new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, silo.Port);
        var cases = new (System.Net.IPEndPoint Server, string Target, string Host, List<double> MbPerSecond)[]
        {
            (direct, "/echo", $"{host}:{EchoPort}", []),
            (throughSilo, $"/preview/{link.Token}/echo", silo.Authority, []),
        };

        for (var round = 0; round <= options.Rounds; round++)
        {
            foreach (var (server, target, hostHeader, rates) in cases)
            {
                var result = await RawHttpExchange.RunAsync(
                    server, "POST", target, [new("Host", hostHeader)], new RawExchangeOptions { BodyBytes = EchoBytes, Deadline = TimeSpan.FromMinutes(2) }, CancellationToken.None);
                if (result.Status != 200 || !result.BodyComplete || result.ReceivedSha256 != result.SentSha256)
                {
                    throw new InvalidOperationException($"echo through {target}: status {result.Status}, {result.ReceivedBodyBytes} bytes back, hashes {(result.ReceivedSha256 == result.SentSha256 ? "equal" : "differ")}");
                }

                // Round 0 warms both paths up.
                if (round > 0)
                {
                    rates.Add(EchoBytes / (1024.0 * 1024) / result.Elapsed.TotalSeconds);
                    Console.WriteLine($"  round {round} echo {(server == direct ? "direct" : "preview")}: {rates[^1]:0} MB/s");
                }
            }
        }

        return (cases[1].MbPerSecond, cases[0].MbPerSecond);
    }

    private const int EchoPort = 8090;

    /// <summary>Waits until something accepts connections at <paramref name="endpoint"/> (an app just started in a sandbox).</summary>
    private static async Task ListensAsync(System.Net.IPEndPoint endpoint, TimeSpan within)
    {
        var deadline = DateTimeOffset.UtcNow + within;
        while (true)
        {
            try
            {
                using var probe = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
                await probe.ConnectAsync(endpoint);
                return;
            }
            catch (System.Net.Sockets.SocketException) when (DateTimeOffset.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
        }
    }

    /// <summary>Writes each piece of a request body back as soon as it has read it (Content-Length bodies only).</summary>
    private const string EchoApp = """
        import http.server

        class Echo(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                left = int(self.headers["Content-Length"])
                self.send_response(200)
                self.send_header("Content-Length", str(left))
                self.end_headers()
                while left > 0:
                    piece = self.rfile.read1(min(left, 262144))
                    if not piece:
                        break
                    left -= len(piece)
                    self.wfile.write(piece)

        http.server.ThreadingHTTPServer(("0.0.0.0", 8090), Echo).serve_forever()
        """;

    private static Task<App> StartAppAsync(BenchSilo silo) => StartAppAsync(silo.Client);

    /// <summary>nginx answering a fixed body on port 8080 in a <c>sandboxgrains/bench</c> sandbox, and a preview link to it.</summary>
    internal static async Task<App> StartAppAsync(SandboxGrainsHttpClient client)
    {
        var sandbox = await client.CreateSandboxAsync(new CreateSandboxRequest { Image = "sandboxgrains/bench:latest", Cpu = 2, MemoryMb = 512 });
        await client.UploadFileAsync(sandbox.Id, "/opt/bench/nginx.conf", new MemoryStream(Encoding.UTF8.GetBytes(AppConfig)));
        var started = await client.ExecuteAsync(sandbox.Id, "nginx -c /opt/bench/nginx.conf");
        if (started.ExitCode != 0)
        {
            throw new InvalidOperationException($"nginx did not start in the sandbox: {started.Result}");
        }

        var ip = await ProcessRunner.DockerAsync("inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", sandbox.ContainerId!);
        var token = await ProcessRunner.DockerAsync("exec", sandbox.ContainerId!, "cat", "/run/sandboxgrains/daemon-token");
        var preview = await client.CreatePreviewAsync(sandbox.Id, 8080);
        return new App(sandbox.Id, $"{ip}:8080", $"{ip}:{DaemonProtocol.DefaultPort}", token, preview.Url!, preview.Token!);
    }

    internal sealed record App(string SandboxId, string Address, string DaemonAddress, string DaemonToken, string PreviewUrl, string PreviewToken);
}

/// <summary>An embedded silo built in this configuration, with room for the bench's sandboxes; removed with its containers.</summary>
internal sealed class BenchSilo : IAsyncDisposable
{
    private BenchSilo(SiloProcess process) => Process = process;

    public SiloProcess Process { get; }

    public SandboxGrainsHttpClient Client => SandboxGrainsHttpClient.Create(Process.BaseAddress, Process.ApiKey);

    /// <summary>Room for the bench's sandboxes, and quiet logs.</summary>
    public static readonly IReadOnlyDictionary<string, string> Settings = new Dictionary<string, string>
    {
        ["Runner:CpuOvercommit"] = "64",
        ["Logging:LogLevel:Default"] = "Warning",
    };

    /// <summary>Run the silo as it is deployed: the test helper forces workstation GC to keep test machines light.</summary>
    public static readonly IReadOnlyDictionary<string, string?> DeployedEnvironment = new Dictionary<string, string?> { ["DOTNET_gcServer"] = null };

    public static async Task<BenchSilo> StartAsync(Dictionary<string, string> settings)
    {
        foreach (var (key, value) in Settings)
        {
            settings[key] = value;
        }

        var process = SiloProcess.Start(settings, DeployedEnvironment);
        await process.WaitUntilAsync("/readyz", TimeSpan.FromSeconds(90));
        return new BenchSilo(process);
    }

    public ValueTask DisposeAsync() => Process.DisposeAsync();
}

/// <summary>Debian's nginx as a reverse proxy on loopback in front of one app: the reference a user would otherwise pick.</summary>
internal sealed class HostNginx : IAsyncDisposable
{
    private readonly System.Diagnostics.Process _process;
    private readonly string _folder;

    private HostNginx(System.Diagnostics.Process process, string folder, string baseUrl)
    {
        _process = process;
        _folder = folder;
        BaseUrl = baseUrl;
    }

    public string BaseUrl { get; }

    public static async Task<HostNginx> StartAsync(string upstream)
    {
        var folder = Directory.CreateTempSubdirectory("sandboxgrains-bench-nginx-").FullName;
        var port = FreePort.Next();
        var config = Path.Combine(folder, "nginx.conf");
        await File.WriteAllTextAsync(config, $$"""
            daemon off; user root; worker_processes auto; pid {{folder}}/nginx.pid; error_log {{folder}}/error.log;
            events { worker_connections 4096; }
            http {
              access_log off;
              upstream app { server {{upstream}}; keepalive 64; }
              server {
                listen 127.0.0.1:{{port.ToString(CultureInfo.InvariantCulture)}};
                location / { proxy_pass http://app; proxy_http_version 1.1; proxy_set_header Connection ""; }
              }
            }
            """);
        var info = new System.Diagnostics.ProcessStartInfo("nginx") { UseShellExecute = false, RedirectStandardError = true };
        foreach (var argument in new[] { "-p", folder, "-c", config })
        {
            info.ArgumentList.Add(argument);
        }

        var process = System.Diagnostics.Process.Start(info) ?? throw new InvalidOperationException("nginx did not start");
        var nginx = new HostNginx(process, folder, $"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}");
        if (await AnswersAsync(nginx.BaseUrl, TimeSpan.FromSeconds(5)))
        {
            return nginx;
        }

        await nginx.DisposeAsync();
        throw new InvalidOperationException($"nginx on {nginx.BaseUrl} did not answer: {File.ReadAllText(Path.Combine(folder, "error.log"))}");
    }

    /// <summary>Whether a server just started on loopback answers a GET of <paramref name="url"/> with a success within <paramref name="within"/>.</summary>
    internal static async Task<bool> AnswersAsync(string url, TimeSpan within)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTimeOffset.UtcNow + within;
        while (DateTimeOffset.UtcNow < deadline)
        {
            try
            {
                if ((await http.GetAsync(url)).IsSuccessStatusCode)
                {
                    return true;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(100);
        }

        return false;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        Directory.Delete(_folder, recursive: true);
    }
}
