using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace SandboxGrains.EndToEnd.Tests;

/// <summary>
/// A cluster across two hosts (<see cref="SecondHost"/>: a network namespace with its own Docker engine standing in for
/// the second machine). Host A runs a front-end silo; host B a silo that owns B's engine as its runner and serves its
/// relay. A reaches B only over the link between them, and B's containers not at all except through B's relay.
/// </summary>
public sealed class CrossHostTests(CrossHostTests.TwoHosts hosts) : IClassFixture<CrossHostTests.TwoHosts>
{
    private const long Echoed = 64L * 1024 * 1024;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task SandboxOnHostB_ToolboxAndPreviewsWorkThroughHostA_WhileTheContainerIsOutOfHostAsReachStraight()
    {
        var client = hosts.ClientOfA;
        var sandbox = await client.CreateSandboxAsync(new CreateSandboxRequest { Image = "sandboxgrains/base:latest", Cpu = 0.5, MemoryMb = 256 }, Ct);
        await using var cleanup = hosts.DeletesAtTheEnd(sandbox.Id);
        Assert.Equal(hosts.B.RunnerId, sandbox.RunnerId);

        // The toolbox: a command, 20 MB each way, a session's log followed over a WebSocket.
        var executed = await client.ExecuteAsync(sandbox.Id, "echo from host b; hostname", cancellationToken: Ct);
        Assert.Equal(0, executed.ExitCode);
        Assert.StartsWith("from host b\n", executed.Result, StringComparison.Ordinal);

        var upload = RandomNumberGenerator.GetBytes(20 * 1024 * 1024);
        await client.UploadFileAsync(sandbox.Id, "/tmp/big.bin", new MemoryStream(upload), Ct);
        using (var downloaded = new MemoryStream())
        {
            await using (var stream = await client.DownloadFileAsync(sandbox.Id, "/tmp/big.bin", Ct))
            {
                await stream.CopyToAsync(downloaded, Ct);
            }

            Assert.Equal(SHA256.HashData(upload), SHA256.HashData(downloaded.ToArray()));
        }

        using var http = hosts.A.CreateClient();
        (await http.PostAsJsonAsync($"/toolbox/{sandbox.Id}/process/session", new { sessionId = "log" }, Ct)).EnsureSuccessStatusCode().Dispose();
        using (var started = await http.PostAsJsonAsync(
            $"/toolbox/{sandbox.Id}/process/session/log/exec", new { command = "for i in 1 2 3; do echo line$i; sleep 0.2; done", runAsync = true }, Ct))
        {
            var commandId = (await started.EnsureSuccessStatusCode().Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("cmdId").GetString();
            using var log = new ClientWebSocket();
            log.Options.SetRequestHeader("Authorization", $"Bearer {hosts.A.ApiKey}");
            await log.ConnectAsync(new Uri($"ws://{hosts.A.BaseAddress.Authority}/toolbox/{sandbox.Id}/process/session/log/command/{commandId}/logs?follow=true"), Ct);
            var (stdout, _, closed) = await DaytonaLogStream.ReadToEndAsync(log, Ct);
            Assert.Equal(("line1\nline2\nline3\n", WebSocketCloseStatus.NormalClosure), (stdout, closed));
        }

        // Previews: the path form, the host form, a WebSocket, and 64 MB echoed while it is sent.
        await PreviewApp.StartAsync(hosts.A, client, sandbox.Id, Ct);
        var preview = await client.CreatePreviewAsync(sandbox.Id, PreviewApp.Port, cancellationToken: Ct);
        using var browser = new HttpClient(PreviewApp.LoopbackHandler(hosts.A)) { Timeout = TimeSpan.FromSeconds(30) };
        var seen = await browser.GetFromJsonAsync<JsonElement>($"{hosts.A.BaseAddress}preview/{preview.Token}/hello?x=1", Ct);
        Assert.Equal("/hello?x=1", seen.GetProperty("target").GetString());
        var hostForm = await browser.GetFromJsonAsync<JsonElement>($"http://{PreviewApp.Port}-{preview.Token}.localhost:{hosts.A.HttpPort}/via-host", Ct);
        Assert.Equal("/via-host", hostForm.GetProperty("target").GetString());

        using (var socket = new ClientWebSocket())
        {
            await socket.ConnectAsync(new Uri($"ws://{hosts.A.BaseAddress.Authority}/preview/{preview.Token}/ws"), Ct);
            await socket.SendAsync("across hosts"u8.ToArray(), WebSocketMessageType.Text, true, Ct);
            var buffer = new byte[64];
            var received = await socket.ReceiveAsync(buffer, Ct);
            Assert.Equal("across hosts", Encoding.UTF8.GetString(buffer, 0, received.Count));
            await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, Ct);
        }

        var echo = await RawHttpExchange.RunAsync(
            new IPEndPoint(IPAddress.Loopback, hosts.A.HttpPort),
            "POST",
            $"/preview/{preview.Token}/echo-stream",
            [new("Host", hosts.A.BaseAddress.Authority)],
            new RawExchangeOptions { BodyBytes = Echoed, Deadline = TimeSpan.FromSeconds(120) },
            Ct);
        Assert.True(echo.Status == 200, $"the echo's status: {echo.Status?.ToString(CultureInfo.InvariantCulture) ?? "none"} after {echo.Elapsed}");
        Assert.Equal(Echoed, echo.ReceivedBodyBytes);
        Assert.Equal(echo.SentSha256, echo.ReceivedSha256);

        // A revocation closes the link at once here too: its route is forgotten, whichever lane it took.
        await client.RevokePreviewAsync(preview.Token!, Ct);
        using (var revoked = await browser.GetAsync($"{hosts.A.BaseAddress}preview/{preview.Token}/hello", Ct))
        {
            Assert.Equal(HttpStatusCode.NotFound, revoked.StatusCode);
        }

        // The lane is real: from host A the container's own address does not lead to the app. (It may lead to this
        // machine's egress proxy, which answers any address it has no route for; never to the app's JSON.)
        var container = await hosts.SecondHost.ContainerAddressAsync(sandbox.ContainerId!);
        Assert.StartsWith(hosts.SecondHost.ContainerNetworks[..hosts.SecondHost.ContainerNetworks.LastIndexOf('.')], container, StringComparison.Ordinal);
        using var straight = new HttpClient { Timeout = TimeSpan.FromSeconds(3) };
        var reached = await Eventually.TryAsync(() => straight.GetStringAsync($"http://{container}:{PreviewApp.Port}/straight", Ct));
        Assert.DoesNotContain("/straight", reached ?? "", StringComparison.Ordinal);
    }

    [Fact]
    public async Task RelayRefusesUnsignedRequestsAndTargetsThatAreNotItsSandboxes_AndLogsWithoutTheSecret()
    {
        var sandbox = await hosts.ClientOfA.CreateSandboxAsync(new CreateSandboxRequest { Image = "sandboxgrains/busybox:latest", Cpu = 0.25, MemoryMb = 64 }, Ct);
        await using var cleanup = hosts.DeletesAtTheEnd(sandbox.Id);
        var container = await hosts.SecondHost.ContainerAddressAsync(sandbox.ContainerId!);
        var bystander = await hosts.SecondHost.DockerAsync("run", "-d", "--rm", "sandboxgrains/busybox:latest", "httpd", "-f", "-p", "8080");
        var bystanderAddress = await hosts.SecondHost.ContainerAddressAsync(bystander);
        try
        {
            var daemonTarget = $"{container}:{DaemonPort}";
            Assert.Equal(101, (await RelayAsync(sandbox.Id, daemonTarget, hosts.Secret)).Status);

            var refusals = new (string Case, string? Secret, string SandboxId, string Target, int Status, string Error)[]
            {
                ("no signature", null, sandbox.Id, daemonTarget, 401, "bad-signature"),
                ("another secret", Convert.ToHexString(RandomNumberGenerator.GetBytes(32)), sandbox.Id, daemonTarget, 401, "bad-signature"),
                ("another container", hosts.Secret, sandbox.Id, $"{bystanderAddress}:8080", 403, "not-this-runner"),
                ("host B itself", hosts.Secret, sandbox.Id, $"{hosts.SecondHost.Address}:{hosts.B.HttpPort}", 403, "not-this-runner"),
                ("the metadata address", hosts.Secret, sandbox.Id, "169.254.169.254:80", 403, "not-this-runner"),
                ("host B's loopback", hosts.Secret, sandbox.Id, $"127.0.0.1:{hosts.B.HttpPort}", 403, "not-this-runner"),
                ("the container as an IPv4-mapped address", hosts.Secret, sandbox.Id, $"[::ffff:{container}]:{DaemonPort}", 403, "not-this-runner"),
                ("a host name", hosts.Secret, sandbox.Id, $"localhost:{DaemonPort}", 403, "not-this-runner"),
                ("port 0", hosts.Secret, sandbox.Id, $"{container}:0", 403, "not-this-runner"),
                ("no such sandbox", hosts.Secret, "nosuchsandbox0000", daemonTarget, 403, "not-this-runner"),
            };
            foreach (var (name, secret, sandboxId, target, status, error) in refusals)
            {
                var answer = await RelayAsync(sandboxId, target, secret);
                Assert.True((answer.Status, answer.Error) == (status, error), $"{name}: {answer.Status} {answer.Error}");
            }

            // A captured request sent again opens nothing.
            var signature = Sign(hosts.Secret, sandbox.Id, daemonTarget);
            Assert.Equal(101, (await RelayAsync(sandbox.Id, daemonTarget, signature: signature)).Status);
            Assert.Equal((401, "bad-signature"), await RelayAsync(sandbox.Id, daemonTarget, signature: signature));

            // Only the relay's port serves the relay, and the relay's port serves nothing else.
            using var api = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            using var notHere = await api.GetAsync($"http://{hosts.SecondHost.Address}:{hosts.RelayPort}/api/v1/sandboxes", Ct);
            Assert.Equal(HttpStatusCode.NotFound, notHere.StatusCode);
            Assert.NotEqual(101, (await RelayAsync(sandbox.Id, daemonTarget, hosts.Secret, port: hosts.B.HttpPort)).Status);

            await Eventually.WaitAsync(() => Task.FromResult(hosts.B.Output), output => output.Contains("Refused a relay request", StringComparison.Ordinal), TimeSpan.FromSeconds(5), "B logging its refusals");
            Assert.DoesNotContain(hosts.Secret, hosts.B.Output, StringComparison.Ordinal);
            Assert.DoesNotContain(hosts.Secret, hosts.A.Output, StringComparison.Ordinal);
            Assert.DoesNotContain(signature, hosts.B.Output, StringComparison.Ordinal);
        }
        finally
        {
            await hosts.SecondHost.DockerAsync("rm", "-f", bystander);
        }
    }

    [Fact]
    public async Task HostBSiloKilled_HostAAnswers503WithRetryAfter_ThenRestarted_EverythingWorksAgain_NoDuplicatesNoOrphans()
    {
        var client = hosts.ClientOfA;
        var sandbox = await client.CreateSandboxAsync(new CreateSandboxRequest { Image = "sandboxgrains/busybox:latest", Cpu = 0.25, MemoryMb = 64 }, Ct);
        await using var cleanup = hosts.DeletesAtTheEnd(sandbox.Id);
        var started = await client.ExecuteAsync(sandbox.Id, "mkdir -p /www && echo hello > /www/index.html && httpd -p 8080 -h /www", cancellationToken: Ct);
        Assert.Equal(0, started.ExitCode);
        var preview = await client.CreatePreviewAsync(sandbox.Id, 8080, cancellationToken: Ct);
        using var browser = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var link = $"{hosts.A.BaseAddress}preview/{preview.Token}/";
        Assert.Equal("hello", (await browser.GetStringAsync(link, Ct)).Trim());

        await hosts.KillAndRestartBAsync(async () =>
        {
            using var refused = await browser.GetAsync(link, Ct);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.NotNull(refused.Headers.RetryAfter);
            using var api = hosts.A.CreateClient();
            using var toolbox = await api.GetAsync($"/toolbox/{sandbox.Id}/version", Ct);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, toolbox.StatusCode);
            await Eventually.WaitAsync(
                () => Eventually.TryAsync(() => client.GetSandboxAsync(sandbox.Id, Ct)),
                found => found?.RunnerStatus == "unreachable",
                TimeSpan.FromSeconds(30),
                "B's runner reported unreachable through A");
        });

        // Back without a manual step: the link, the toolbox, one container, one sandbox.
        await Eventually.WaitAsync(() => Eventually.TryAsync(() => browser.GetStringAsync(link, Ct)), body => body?.Trim() == "hello", TimeSpan.FromSeconds(60), "the link through A again");
        Assert.Equal("again", (await client.ExecuteAsync(sandbox.Id, "echo again", cancellationToken: Ct)).Result.Trim());
        var labelled = (await hosts.SecondHost.DockerAsync("ps", "-aq", "--no-trunc", "--filter", $"label=sandboxgrains.sandbox-id={sandbox.Id}"))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal([sandbox.ContainerId!], labelled);
        Assert.Single(await client.ListSandboxesAsync(cancellationToken: Ct), s => s.Id == sandbox.Id);
    }

    /// <summary>Where the sandbox's daemon listens in its container (the default Daemon:Port): something of the sandbox that answers.</summary>
    private const int DaemonPort = 2280;


    /// <summary>A relay request from this host, signed as a silo would (or not): the status and the relay's error code.</summary>
    private async Task<(int Status, string? Error)> RelayAsync(string sandboxId, string target, string? secret = null, string? signature = null, int? port = null)
    {
        signature ??= secret is null ? null : Sign(secret, sandboxId, target);
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Parse(hosts.SecondHost.Address), port ?? hosts.RelayPort, Ct);
        var request = $"GET /relay HTTP/1.1\r\nHost: {hosts.SecondHost.Address}\r\nConnection: Upgrade\r\nUpgrade: sandboxgrains-relay\r\n" +
            $"SandboxGrains-Relay-Sandbox: {sandboxId}\r\nSandboxGrains-Relay-Target: {target}\r\n" +
            (signature is null ? "" : $"SandboxGrains-Relay-Signature: {signature}\r\n") + "\r\n";
        await socket.SendAsync(Encoding.ASCII.GetBytes(request), Ct);
        var buffer = new byte[4096];
        var length = 0;
        while (length < buffer.Length && !Encoding.Latin1.GetString(buffer, 0, length).Contains("\r\n\r\n", StringComparison.Ordinal))
        {
            var read = await socket.ReceiveAsync(buffer.AsMemory(length), Ct);
            if (read == 0)
            {
                break;
            }

            length += read;
        }

        var lines = Encoding.Latin1.GetString(buffer, 0, length).Split("\r\n");
        var status = int.Parse(lines[0].Split(' ')[1], CultureInfo.InvariantCulture);
        var error = lines.FirstOrDefault(l => l.StartsWith("SandboxGrains-Relay-Error:", StringComparison.OrdinalIgnoreCase))?.Split(':', 2)[1].Trim();
        return (status, error);
    }

    /// <summary>The relay's signature, as docs/operations.md describes it: HMAC-SHA256 keyed with SHA-256 of the secret.</summary>
    private static string Sign(string secret, string sandboxId, string target)
    {
        var time = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var nonce = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        var mac = HMACSHA256.HashData(SHA256.HashData(Encoding.UTF8.GetBytes(secret)), Encoding.UTF8.GetBytes($"{time}\n{nonce}\n{sandboxId}\n{target}"));
        return $"t={time},n={nonce},s={Convert.ToBase64String(mac).TrimEnd('=').Replace('+', '-').Replace('/', '_')}";
    }

    /// <summary>The two hosts, their Redis, and a silo on each; made once for the tests of this class.</summary>
    public sealed class TwoHosts : IAsyncLifetime
    {
        private RedisServer? _redis;
        private readonly string _clusterId = $"hosts-{Guid.NewGuid():N}"[..20];
        private readonly string _runnerId = $"hostb-{Guid.NewGuid():N}"[..20];

        public SecondHost SecondHost { get; private set; } = null!;

        /// <summary>Host A's silo: a front end (API, toolbox, previews), no runner.</summary>
        public SiloProcess A { get; private set; } = null!;

        /// <summary>Host B's silo: owns the runner of B's engine and serves its relay.</summary>
        public SiloProcess B { get; private set; } = null!;

        public string Secret { get; } = Convert.ToHexString(RandomNumberGenerator.GetBytes(32));

        public int RelayPort { get; } = FreePort.Next();

        public SandboxGrainsHttpClient ClientOfA => SandboxGrainsHttpClient.Create(A.BaseAddress, A.ApiKey);

        /// <summary>Deletes the sandbox (and its container) when disposed, whether the test passed or not.</summary>
        public IAsyncDisposable DeletesAtTheEnd(string sandboxId) => new Deletion(this, sandboxId);

        private sealed class Deletion(TwoHosts hosts, string sandboxId) : IAsyncDisposable
        {
            public async ValueTask DisposeAsync()
            {
                try
                {
                    await hosts.ClientOfA.DeleteSandboxAsync(sandboxId, removeContainer: true, cancellationToken: CancellationToken.None);
                }
                catch (SandboxGrainsException)
                {
                    // Gone already, or the cluster is down after a failed test; the second host's engine goes at the end anyway.
                }
            }
        }

        public async ValueTask InitializeAsync()
        {
            await Requirements.DockerAsync();
            try
            {
                SecondHost = await SecondHost.StartAsync("sandboxgrains/busybox:latest", "sandboxgrains/base:latest");
                _redis = await RedisServer.StartAsync(SecondHost.HostAddress);
                A = SiloProcess.Start(Settings(runner: false, _redis.Endpoint, SecondHost.HostAddress));
                A.MustNotPrint(Secret);
                await A.WaitUntilAsync("/readyz", TimeSpan.FromSeconds(90), Ct);
                await StartBAsync();
            }
            catch
            {
                // A fixture that fails to start is not disposed by the test framework; what it made must still go.
                await DisposeAsync();
                throw;
            }
        }

        /// <summary>Kills B's silo outright, runs <paramref name="whileDown"/>, then starts it again with the same runner.</summary>
        public async Task KillAndRestartBAsync(Func<Task> whileDown)
        {
            B.KeepContainers = true;
            await B.KillAsync();
            await whileDown();
            await B.DisposeAsync();
            await StartBAsync();
        }

        private async Task StartBAsync()
        {
            var settings = Settings(runner: true, _redis!.EndpointAt(SecondHost.HostAddress), SecondHost.Address);
            settings["Runner:Id"] = _runnerId;
            settings["Silo:InternalUrls"] = $"http://0.0.0.0:{RelayPort}";
            B = SiloProcess.Start(settings, new Dictionary<string, string?> { ["DOCKER_HOST"] = SecondHost.DockerHost }, networkNamespace: SecondHost.Namespace, host: SecondHost.Address);
            B.MustNotPrint(Secret);
            await B.WaitUntilAsync("/readyz", TimeSpan.FromSeconds(90), Ct);
            await Eventually.WaitAsync(
                () => ClientOfA.ListRunnersAsync(Ct),
                runners => runners.Any(r => r.Id == _runnerId && r.Status == "healthy"),
                TimeSpan.FromSeconds(30),
                "B's runner healthy as seen from A");
        }

        private Dictionary<string, string> Settings(bool runner, string redis, string advertised) => new()
        {
            ["ConnectionStrings:redis"] = redis,
            ["Orleans:ClusterId"] = _clusterId,
            ["Orleans:ServiceId"] = _clusterId,
            ["Orleans:Endpoints:AdvertisedIPAddress"] = advertised,
            ["Runner:Enabled"] = runner ? "true" : "false",
            ["Cluster:Secret"] = Secret,
        };

        public async ValueTask DisposeAsync()
        {
            if (A is not null)
            {
                await A.DisposeAsync();
            }

            if (B is not null)
            {
                await B.DisposeAsync();
            }

            if (SecondHost is not null)
            {
                await SecondHost.DisposeAsync();
            }

            if (_redis is not null)
            {
                await _redis.DisposeAsync();
            }
        }
    }
}
