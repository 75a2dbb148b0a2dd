using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace SandboxGrains.EndToEnd.Tests;

/// <summary>
/// Bodies that flow both ways at once through every lane of the front end, against a real app in a real sandbox: an
/// echo that answers while the upload still arrives, a reader slower than the writer, a client that hangs up, an app
/// that refuses an upload early. The client is <see cref="RawHttpExchange"/>, which uploads and reads at the same time
/// (<see cref="HttpClient"/> would not).
/// </summary>
public sealed class StreamingTests(SandboxSiloFixture fixture) : IClassFixture<SandboxSiloFixture>
{
    private const long Echoed = 64L * 1024 * 1024;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private SandboxGrainsHttpClient Client => fixture.Client;

    private IPEndPoint Silo => new(IPAddress.Loopback, fixture.Silo.HttpPort);

    [Fact]
    public async Task Echo64Mb_AnsweredWhileItIsSent_ArrivesWhole_OnEveryLane()
    {
        var sandbox = await PreviewApp.CreateSandboxWithAppAsync(fixture.Silo, Client, Ct);
        try
        {
            var direct = await Client.CreatePreviewAsync(sandbox.Id, PreviewApp.Port, cancellationToken: Ct);
            var insideOnly = await Client.CreatePreviewAsync(sandbox.Id, PreviewApp.LoopbackOnlyPort, cancellationToken: Ct);
            var lanes = new (string Lane, string Target, string Host, bool ApiKey)[]
            {
                ("path form", $"/preview/{direct.Token}/echo-stream", Authority, false),
                ("host form", "/echo-stream", $"{PreviewApp.Port}-{direct.Token}.localhost:{fixture.Silo.HttpPort}", false),
                ("daemon hop (app on 127.0.0.1 only)", $"/preview/{insideOnly.Token}/echo-stream", Authority, false),
                ("toolbox /proxy", $"/toolbox/{sandbox.Id}/proxy/{PreviewApp.Port}/echo-stream", Authority, true),
            };

            foreach (var (lane, target, host, apiKey) in lanes)
            {
                var result = await RawHttpExchange.RunAsync(
                    Silo, "POST", target, Headers(host, apiKey), new RawExchangeOptions { BodyBytes = Echoed, Deadline = TimeSpan.FromSeconds(90) }, Ct);

                Assert.True(result.Status == 200, $"{lane}: status {result.Status?.ToString(CultureInfo.InvariantCulture) ?? "none"} after {result.Elapsed}");
                Assert.Null(result.SendError);
                Assert.True(result.BodyComplete, $"{lane}: the echo ended after {result.ReceivedBodyBytes} of {Echoed} bytes");
                Assert.Equal(Echoed, result.ReceivedBodyBytes);
                Assert.Equal(result.SentSha256, result.ReceivedSha256);
            }

            var stats = await EchoStatsAsync(direct.Url!);
            Assert.Equal(0, stats.GetProperty("cut").GetInt32());
        }
        finally
        {
            await Client.DeleteSandboxAsync(sandbox.Id, cancellationToken: Ct);
        }
    }

    [Fact]
    public async Task SlowReader_SiloMemoryStaysFlat_ThenHangingUpCutsTheAppsRequest_AndNoConnectionToTheAppIsLeft()
    {
        var sandbox = await PreviewApp.CreateSandboxWithAppAsync(fixture.Silo, Client, Ct);
        try
        {
            var preview = await Client.CreatePreviewAsync(sandbox.Id, PreviewApp.Port, cancellationToken: Ct);
            var before = await EchoStatsAsync(preview.Url!);
            var rssAtStart = (long?)null;
            long rssMost = 0;
            using var sampling = CancellationTokenSource.CreateLinkedTokenSource(Ct);
            var sampler = Task.Run(
                async () =>
                {
                    while (!sampling.IsCancellationRequested)
                    {
                        var rss = ResidentBytes(fixture.Silo.ProcessId);
                        rssAtStart ??= rss;
                        rssMost = Math.Max(rssMost, rss);
                        await Task.Delay(200, CancellationToken.None);
                    }
                },
                Ct);

            // 1 GB offered, read back at 64 KB/s for 5 s: a silo that buffered instead of pushing back would hold hundreds of MB.
            const long Offered = 1024L * 1024 * 1024;
            var result = await RawHttpExchange.RunAsync(
                Silo, "POST", $"/preview/{preview.Token}/echo-stream", Headers(Authority, apiKey: false),
                new RawExchangeOptions { BodyBytes = Offered, ReadBytesPerSecond = 64 * 1024, DisconnectAfter = TimeSpan.FromSeconds(5) }, Ct);
            await sampling.CancelAsync();
            await sampler;

            Assert.Equal(200, result.Status);
            Assert.True(result.ReceivedBodyBytes >= 128 * 1024, $"only {result.ReceivedBodyBytes} bytes of echo arrived in 5 s");
            Assert.True(result.SentBytes < Offered / 4, $"{result.SentBytes} bytes were taken from a client whose echo was read at 64 KB/s");
            var growth = rssMost - rssAtStart!.Value;
            Assert.True(growth < 48L * 1024 * 1024, $"the silo's memory grew by {growth / (1024 * 1024)} MB while {result.SentBytes / (1024 * 1024)} MB were uploaded");

            // The app sees its request cut, and after the pool's idle lifetime no connection to it is left open.
            await Eventually.WaitAsync(
                () => EchoStatsAsync(preview.Url!),
                stats => stats.GetProperty("cut").GetInt32() > before.GetProperty("cut").GetInt32() && stats.GetProperty("active").GetInt32() == 0,
                TimeSpan.FromSeconds(20),
                "the app seeing its echo request cut");
            await Eventually.WaitAsync(
                () => OpenConnectionsToAsync(sandbox.Id, PreviewApp.Port),
                count => count == 0,
                TimeSpan.FromSeconds(30),
                "no connection left to the app's port");
        }
        finally
        {
            await Client.DeleteSandboxAsync(sandbox.Id, cancellationToken: Ct);
        }
    }

    [Fact]
    public async Task AppRefusesAnUploadAfter1Kb_TheClientGets413Promptly_StraightAndThroughTheDaemon()
    {
        var sandbox = await PreviewApp.CreateSandboxWithAppAsync(fixture.Silo, Client, Ct);
        try
        {
            foreach (var port in new[] { PreviewApp.Port, PreviewApp.LoopbackOnlyPort })
            {
                var preview = await Client.CreatePreviewAsync(sandbox.Id, port, cancellationToken: Ct);

                // The app holds its connection for a minute without reading; the answer must not wait for that.
                var result = await RawHttpExchange.RunAsync(
                    Silo, "POST", $"/preview/{preview.Token}/reject-early", Headers(Authority, apiKey: false),
                    new RawExchangeOptions { BodyBytes = 50L * 1024 * 1024, Deadline = TimeSpan.FromSeconds(30) }, Ct);

                Assert.True(result.Status == 413, $"port {port}: status {result.Status?.ToString(CultureInfo.InvariantCulture) ?? "none"} after {result.Elapsed}");
                Assert.True(result.BodyComplete, $"port {port}: the 413's body was cut");
                Assert.True(result.StatusAfter < TimeSpan.FromSeconds(20), $"port {port}: the 413 took {result.StatusAfter}");
            }
        }
        finally
        {
            await Client.DeleteSandboxAsync(sandbox.Id, cancellationToken: Ct);
        }
    }

    private string Authority => $"127.0.0.1:{fixture.Silo.HttpPort}";

    private List<KeyValuePair<string, string>> Headers(string host, bool apiKey)
    {
        var headers = new List<KeyValuePair<string, string>> { new("Host", host), new("Content-Type", "application/octet-stream") };
        if (apiKey)
        {
            headers.Add(new("Authorization", $"Bearer {fixture.Silo.ApiKey}"));
        }

        return headers;
    }

    private async Task<JsonElement> EchoStatsAsync(string link)
    {
        using var browser = new HttpClient(PreviewApp.LoopbackHandler(fixture.Silo));
        return await browser.GetFromJsonAsync<JsonElement>($"{link}echo-stats", Ct);
    }

    /// <summary>Established TCP connections to <paramref name="port"/> inside the sandbox, read from its own <c>/proc/net/tcp</c>.</summary>
    private async Task<int> OpenConnectionsToAsync(string sandboxId, int port)
    {
        using var http = fixture.Silo.CreateClient();
        using var answer = await http.PostAsJsonAsync($"/toolbox/{sandboxId}/process/execute", new { command = "cat /proc/net/tcp /proc/net/tcp6" }, Ct);
        answer.EnsureSuccessStatusCode();
        var table = (await answer.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("result").GetString()!;
        var local = $":{port:X4}";
        return table.Split('\n')
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Count(fields => fields.Length > 3 && fields[1].EndsWith(local, StringComparison.Ordinal) && fields[3] == "01");
    }

    private static long ResidentBytes(int processId)
    {
        var line = File.ReadLines($"/proc/{processId}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
    }
}
