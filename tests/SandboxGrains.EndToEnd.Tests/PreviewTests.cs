using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using SandboxGrains.Previews;

namespace SandboxGrains.EndToEnd.Tests;

/// <summary>Preview links against a real app in a real sandbox, through a real silo, over real HTTP and WebSocket.</summary>
public sealed class PreviewTests(SandboxSiloFixture fixture) : IClassFixture<SandboxSiloFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private SandboxGrainsHttpClient Client => fixture.Client;

    [Fact]
    public async Task PathAndHostForms_HttpAndWebSocket_ReachTheAppWithTheRequestIntactAndNoCredentials()
    {
        var sandbox = await CreateWithAppAsync();
        try
        {
            var preview = await Client.CreatePreviewAsync(sandbox.Id, PreviewApp.Port, cancellationToken: Ct);
            var token = preview.Token!;
            Assert.Equal(PreviewTokens.Length, token.Length);
            Assert.Equal($"{fixture.Silo.BaseAddress.GetLeftPart(UriPartial.Authority)}/preview/{token}/", preview.Url);
            Assert.Equal($"http://{PreviewApp.Port}-{token}.localhost:{fixture.Silo.HttpPort}/", preview.HostUrl);

            using var browser = new HttpClient(PreviewApp.LoopbackHandler(fixture.Silo));

            // Escapes, unicode and the token as a query parameter, with an Authorization header the app must not see.
            const string PathAndQuery = "/deep/a%2Fb/%c3%a9t%C3%A9?q=%2F%2f&u=%E2%9C%93&plain=x+y~!*()'";
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"{preview.Url!.TrimEnd('/')}{PathAndQuery}&token={token}", new UriCreationOptions { DangerousDisablePathAndQueryCanonicalization = true }));
            request.Headers.Authorization = new("Bearer", "secret-of-the-caller");
            request.Headers.Add("X-API-Key", fixture.Silo.ApiKey);
            request.Headers.Referrer = new Uri(preview.Url); // what a page of the link sends for its own assets
            using var answer = await browser.SendAsync(request, Ct);
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
            var seen = await answer.Content.ReadFromJsonAsync<JsonElement>(Ct);
            Assert.Equal(PathAndQuery, seen.GetProperty("target").GetString());
            var headers = seen.GetProperty("headers").EnumerateArray().Select(h => (Name: h[0].GetString()!, Value: h[1].GetString()!)).ToList();
            Assert.DoesNotContain(headers, h => h.Name.Equals("Authorization", StringComparison.OrdinalIgnoreCase));
            Assert.DoesNotContain(headers, h => h.Name.Equals("X-API-Key", StringComparison.OrdinalIgnoreCase));
            Assert.DoesNotContain(headers, h => h.Name.Equals("X-Sandbox-Daemon-Token", StringComparison.OrdinalIgnoreCase));
            Assert.DoesNotContain(headers, h => h.Value.Contains(token, StringComparison.Ordinal));
            Assert.Equal("http", Header(headers, "X-Forwarded-Proto"));
            Assert.Equal(fixture.Silo.BaseAddress.Authority, Header(headers, "X-Forwarded-Host"));
            Assert.Contains("127.0.0.1", Header(headers, "X-Forwarded-For"), StringComparison.Ordinal);

            // Host form: the app gets absolute paths as they are, and the browser's host.
            var hostForm = new Uri(preview.HostUrl!);
            var fromHost = await browser.GetFromJsonAsync<JsonElement>(new Uri(hostForm, "/websockify?x=1"), Ct);
            Assert.Equal("/websockify?x=1", fromHost.GetProperty("target").GetString());
            Assert.Equal(hostForm.Authority, Header(fromHost.GetProperty("headers").EnumerateArray().Select(h => (h[0].GetString()!, h[1].GetString()!)).ToList(), "Host"));

            // An app listening on 127.0.0.1 only is reached through the daemon inside the sandbox, every time.
            var loopbackOnly = await Client.CreatePreviewAsync(sandbox.Id, PreviewApp.LoopbackOnlyPort, cancellationToken: Ct);
            for (var i = 0; i < 3; i++)
            {
                var inside = await browser.GetFromJsonAsync<JsonElement>($"{loopbackOnly.Url}inside?n={i}", Ct);
                Assert.Equal($"/inside?n={i}", inside.GetProperty("target").GetString());
            }

            using var posted = await browser.PostAsync($"{loopbackOnly.Url}echo", new StringContent("through the daemon"), Ct);
            Assert.Equal("through the daemon", await posted.Content.ReadAsStringAsync(Ct));

            // A host-form link opens only its own port.
            using var otherPort = await browser.GetAsync($"http://3000-{token}.localhost:{fixture.Silo.HttpPort}/", Ct);
            await AssertProblemAsync(otherPort, HttpStatusCode.NotFound, "preview_not_found");

            // WebSocket through both forms, as noVNC would open it, and through the daemon's /proxy to a loopback-only app.
            foreach (var socketUri in new[]
                     {
                         new Uri($"ws://127.0.0.1:{fixture.Silo.HttpPort}/preview/{token}/ws"),
                         new Uri($"ws://{hostForm.Authority}/websockify"),
                         new Uri($"ws://127.0.0.1:{fixture.Silo.HttpPort}/preview/{loopbackOnly.Token}/ws"),
                     })
            {
                using var socket = new ClientWebSocket();
                await socket.ConnectAsync(socketUri, new HttpMessageInvoker(PreviewApp.LoopbackHandler(fixture.Silo)), Ct);
                foreach (var message in new[] { "hello", new string('x', 5000) })
                {
                    await socket.SendAsync(Encoding.UTF8.GetBytes(message), WebSocketMessageType.Text, true, Ct);
                    Assert.Equal(message, await ReceiveTextAsync(socket));
                }

                await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", Ct);
            }

            // Traffic counts as activity, sampled by the silo and recorded on the sandbox.
            var active = await Eventually.WaitAsync(() => Client.GetSandboxAsync(sandbox.Id, Ct), s => s.LastActivityAt is not null, TimeSpan.FromSeconds(20), "lastActivityAt set");
            Assert.True(active.LastActivityAt > sandbox.CreatedAt);
        }
        finally
        {
            await Client.DeleteSandboxAsync(sandbox.Id, cancellationToken: Ct);
        }
    }

    [Fact]
    public async Task EveryResponseFraming_ChunkedUntilCloseHeadNoContent_ANonAsciiHeader_AndAConnectionTheAppDropped_ArriveWhole()
    {
        var sandbox = await CreateWithAppAsync();
        try
        {
            var preview = await Client.CreatePreviewAsync(sandbox.Id, PreviewApp.Port, cancellationToken: Ct);
            using var browser = new HttpClient(PreviewApp.LoopbackHandler(fixture.Silo));
            var link = preview.Url!;

            var chunked = await browser.GetStringAsync($"{link}chunked?count=40", Ct);
            Assert.Equal(string.Concat(Enumerable.Range(0, 40).Select(i => string.Concat(Enumerable.Repeat($"chunk {i}\n", i + 1)))), chunked);

            var untilClose = await browser.GetStringAsync($"{link}until-close", Ct);
            Assert.Equal(string.Concat(Enumerable.Repeat("all of it, then the connection closes\n", 1000)), untilClose);

            using var head = await browser.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"{link}anything"), Ct);
            Assert.Equal(HttpStatusCode.OK, head.StatusCode);
            Assert.Equal(12345, head.Content.Headers.ContentLength);

            using var nothing = await browser.GetAsync($"{link}nothing", Ct);
            Assert.Equal(HttpStatusCode.NoContent, nothing.StatusCode);
            Assert.Empty(await nothing.Content.ReadAsByteArrayAsync(Ct));

            // A header byte above ASCII arrives as sent, straight from the app and through the daemon (127.0.0.1-only port).
            var loopbackOnly = await Client.CreatePreviewAsync(sandbox.Id, PreviewApp.LoopbackOnlyPort, cancellationToken: Ct);
            foreach (var url in new[] { link, loopbackOnly.Url! })
            {
                using var odd = await browser.GetAsync($"{url}odd-header", Ct);
                Assert.Equal(HttpStatusCode.OK, odd.StatusCode);
                Assert.Equal("attachment; filename=\"caf\u00e9.txt\"", string.Join(",", odd.Content.Headers.GetValues("Content-Disposition")));
            }

            // The app hangs up on a connection it had kept alive; every request after it still gets its answer.
            for (var i = 0; i < 5; i++)
            {
                Assert.Equal("bye\n", await browser.GetStringAsync($"{link}then-hang-up", Ct));
                var seen = await browser.GetFromJsonAsync<JsonElement>($"{link}after-{i}", Ct);
                Assert.Equal($"/after-{i}", seen.GetProperty("target").GetString());
            }
        }
        finally
        {
            await Client.DeleteSandboxAsync(sandbox.Id, cancellationToken: Ct);
        }
    }

    [Fact]
    public async Task BrokenAnswersFromTheApp_Are502NamingThePort_OrACutConnection_AndTheLinkKeepsWorking()
    {
        var sandbox = await CreateWithAppAsync();
        try
        {
            var preview = await Client.CreatePreviewAsync(sandbox.Id, PreviewApp.Port, cancellationToken: Ct);
            using var browser = new HttpClient(PreviewApp.LoopbackHandler(fixture.Silo));
            foreach (var (path, why) in new[]
                     {
                         ("broken/not-http", "HTTP/1.x status line"),
                         ("broken/two-lengths", "invalid Content-Length"),
                         ("broken/huge-head", "headers are larger than"),
                     })
            {
                var problem = await AssertProblemAsync(await browser.GetAsync($"{preview.Url}{path}", Ct), HttpStatusCode.BadGateway, "port_unreachable");
                Assert.Equal(PreviewApp.Port, problem.GetProperty("port").GetInt32());
                Assert.Contains(why, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
            }

            // The same through the daemon (the app's 127.0.0.1-only port): still the app's fault, not "nothing listening".
            var loopbackOnly = await Client.CreatePreviewAsync(sandbox.Id, PreviewApp.LoopbackOnlyPort, cancellationToken: Ct);
            var inside = await AssertProblemAsync(await browser.GetAsync($"{loopbackOnly.Url}broken/not-http", Ct), HttpStatusCode.BadGateway, "port_unreachable");
            Assert.Equal(PreviewApp.LoopbackOnlyPort, inside.GetProperty("port").GetInt32());
            Assert.Contains($"the app on port {PreviewApp.LoopbackOnlyPort} failed the request", inside.GetProperty("detail").GetString(), StringComparison.Ordinal);

            // The answer started and then broke off: the browser sees its connection cut, never a short body passed as whole.
            await Assert.ThrowsAnyAsync<HttpRequestException>(() => browser.GetByteArrayAsync($"{preview.Url}broken/cut-short", Ct));

            var seen = await browser.GetFromJsonAsync<JsonElement>($"{preview.Url}still-fine", Ct);
            Assert.Equal("/still-fine", seen.GetProperty("target").GetString());
        }
        finally
        {
            await Client.DeleteSandboxAsync(sandbox.Id, cancellationToken: Ct);
        }
    }

    [Fact]
    public async Task LinkUsedBeforeItsAppListens_502NamingThePort_ThenTheDirectPathOnceTheAppIsUp()
    {
        var sandbox = await Client.CreateSandboxAsync(new CreateSandboxRequest { Image = "sandboxgrains/base:latest", Cpu = 0.5, MemoryMb = 256 }, Ct);
        try
        {
            // A person opens the link while the dev server is still starting.
            var preview = await Client.CreatePreviewAsync(sandbox.Id, PreviewApp.Port, cancellationToken: Ct);
            using var browser = new HttpClient(PreviewApp.LoopbackHandler(fixture.Silo));
            await AssertProblemAsync(await browser.GetAsync(preview.Url, Ct), HttpStatusCode.BadGateway, "port_unreachable");

            await PreviewApp.StartAsync(fixture.Silo, Client, sandbox.Id, Ct);

            // Straight from the silo (the bridge's address), not from the daemon inside (127.0.0.1): the early refusal
            // was not remembered as "this port listens only inside".
            var seen = await browser.GetFromJsonAsync<JsonElement>(preview.Url, Ct);
            Assert.NotEqual("127.0.0.1", seen.GetProperty("peer").GetString());

            // The loopback-only port is the other way round: through the daemon, every time.
            var loopbackOnly = await Client.CreatePreviewAsync(sandbox.Id, PreviewApp.LoopbackOnlyPort, cancellationToken: Ct);
            for (var i = 0; i < 2; i++)
            {
                var inside = await browser.GetFromJsonAsync<JsonElement>(loopbackOnly.Url, Ct);
                Assert.Equal("127.0.0.1", inside.GetProperty("peer").GetString());
            }
        }
        finally
        {
            await Client.DeleteSandboxAsync(sandbox.Id, cancellationToken: Ct);
        }
    }

    [Fact]
    public async Task TwentyMegabytePost_EchoedBackThroughTheLink_SameHash()
    {
        var sandbox = await CreateWithAppAsync();
        try
        {
            var preview = await Client.CreatePreviewAsync(sandbox.Id, PreviewApp.Port, cancellationToken: Ct);
            var body = RandomNumberGenerator.GetBytes(20 * 1024 * 1024);
            using var browser = new HttpClient(PreviewApp.LoopbackHandler(fixture.Silo)) { Timeout = TimeSpan.FromMinutes(2) };

            using var echoed = await browser.PostAsync($"{preview.Url}upload", new ByteArrayContent(body), Ct);

            Assert.Equal(HttpStatusCode.OK, echoed.StatusCode);
            Assert.Equal(SHA256.HashData(body), SHA256.HashData(await echoed.Content.ReadAsByteArrayAsync(Ct)));
        }
        finally
        {
            await Client.DeleteSandboxAsync(sandbox.Id, cancellationToken: Ct);
        }
    }

    [Fact]
    public async Task RefusalsAreJson_Revoked404Fast_Expired410_Unknown404_NothingListening502_DaemonPortRefused()
    {
        var sandbox = await CreateWithAppAsync();
        try
        {
            using var browser = new HttpClient(PreviewApp.LoopbackHandler(fixture.Silo));

            var live = await Client.CreatePreviewAsync(sandbox.Id, PreviewApp.Port, cancellationToken: Ct);
            Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync(live.Url, Ct)).StatusCode);
            var clock = Stopwatch.StartNew();
            await Client.RevokePreviewAsync(live.Token!, Ct);
            await Eventually.WaitAsync(async () => (await browser.GetAsync(live.Url, Ct)).StatusCode, s => s == HttpStatusCode.NotFound, TimeSpan.FromSeconds(1), "the revoked link answering 404");
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"revocation took {clock.Elapsed}");
            await AssertProblemAsync(await browser.GetAsync(live.Url, Ct), HttpStatusCode.NotFound, "preview_not_found");
            var revokedTwice = await Assert.ThrowsAsync<SandboxGrainsException>(() => Client.RevokePreviewAsync(live.Token!, Ct));
            Assert.Equal(404, revokedTwice.Status);

            var shortLived = await Client.CreatePreviewAsync(sandbox.Id, PreviewApp.Port, TimeSpan.FromSeconds(1), Ct);
            Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync(shortLived.Url, Ct)).StatusCode);
            await Eventually.WaitAsync(async () => (await browser.GetAsync(shortLived.Url, Ct)).StatusCode, s => s != HttpStatusCode.OK, TimeSpan.FromSeconds(5), "the link expiring");
            await AssertProblemAsync(await browser.GetAsync(shortLived.Url, Ct), HttpStatusCode.Gone, "preview_expired");

            await AssertProblemAsync(await browser.GetAsync($"/preview/{PreviewTokens.New()}/".Insert(0, fixture.Silo.BaseAddress.ToString().TrimEnd('/')), Ct), HttpStatusCode.NotFound, "preview_not_found");
            await AssertProblemAsync(await browser.GetAsync(new Uri(fixture.Silo.BaseAddress, "/preview/NOT-a-token/x"), Ct), HttpStatusCode.NotFound, "preview_not_found");

            var silent = await Client.CreatePreviewAsync(sandbox.Id, 9, cancellationToken: Ct);
            using var nothing = await browser.GetAsync(silent.Url, Ct);
            var problem = await AssertProblemAsync(nothing, HttpStatusCode.BadGateway, "port_unreachable");
            Assert.Contains("port 9", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);

            foreach (var port in new[] { 2280, 0, 65536 })
            {
                var refused = await Assert.ThrowsAsync<SandboxGrainsException>(() => Client.CreatePreviewAsync(sandbox.Id, port, cancellationToken: Ct));
                Assert.Equal((400, "invalid_request"), (refused.Status, refused.Code));
            }

            using var api = fixture.Silo.CreateClient();
            using var noPort = await api.PostAsJsonAsync($"/api/v1/sandboxes/{sandbox.Id}/previews", new { expiresInSeconds = 60 }, Ct);
            Assert.Equal("port", (await AssertProblemAsync(noPort, HttpStatusCode.BadRequest, "invalid_request")).GetProperty("field").GetString());
            using var negative = await api.PostAsJsonAsync($"/api/v1/sandboxes/{sandbox.Id}/previews", new { port = 8080, expiresInSeconds = -5 }, Ct);
            await AssertProblemAsync(negative, HttpStatusCode.BadRequest, "invalid_request");
            using var unknownSandbox = await api.PostAsJsonAsync("/api/v1/sandboxes/nosuchsandbox000/previews", new { port = 8080 }, Ct);
            await AssertProblemAsync(unknownSandbox, HttpStatusCode.NotFound, "sandbox_not_found");

            // The list shows ids and ports, never tokens; revoking by id works too.
            var listed = await Client.ListPreviewsAsync(sandbox.Id, Ct);
            Assert.Equal(2, listed.Count);
            Assert.All(listed, p => Assert.Null(p.Token));
            using var byId = await api.DeleteAsync($"/api/v1/sandboxes/{sandbox.Id}/previews/{listed.Single(p => p.Port == 9).Id}", Ct);
            Assert.Equal(HttpStatusCode.NoContent, byId.StatusCode);
            await AssertProblemAsync(await browser.GetAsync(silent.Url, Ct), HttpStatusCode.NotFound, "preview_not_found");
        }
        finally
        {
            await Client.DeleteSandboxAsync(sandbox.Id, cancellationToken: Ct);
        }
    }

    [Fact]
    public async Task StoppedSandbox409_StartedAgainWorks_DeletedSandbox404()
    {
        var sandbox = await CreateWithAppAsync();
        var preview = await Client.CreatePreviewAsync(sandbox.Id, PreviewApp.Port, cancellationToken: Ct);
        using var browser = new HttpClient(PreviewApp.LoopbackHandler(fixture.Silo));
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync(preview.Url, Ct)).StatusCode);

        await Client.StopSandboxAsync(sandbox.Id, Ct);
        await AssertProblemAsync(await browser.GetAsync(preview.Url, Ct), HttpStatusCode.Conflict, "sandbox_not_started");

        await Client.StartSandboxAsync(sandbox.Id, Ct);
        await PreviewApp.StartAsync(fixture.Silo, Client, sandbox.Id, Ct);
        await Eventually.WaitAsync(async () => (await browser.GetAsync(preview.Url, Ct)).StatusCode, s => s == HttpStatusCode.OK, TimeSpan.FromSeconds(15), "the link working after start");

        await Client.DeleteSandboxAsync(sandbox.Id, cancellationToken: Ct);
        await AssertProblemAsync(await browser.GetAsync(preview.Url, Ct), HttpStatusCode.NotFound, "preview_not_found");
        await AssertProblemAsync(await browser.GetAsync(preview.HostUrl, Ct), HttpStatusCode.NotFound, "preview_not_found");
    }

    [Fact]
    public async Task Browser_HostFormLink_PageOpensAWebSocketToItsOwnOriginAndShowsTheEcho()
    {
        Requirements.Browser();
        var sandbox = await CreateWithAppAsync();
        try
        {
            var preview = await Client.CreatePreviewAsync(sandbox.Id, PreviewApp.Port, cancellationToken: Ct);
            var page = new Uri(new Uri(preview.HostUrl!), "/page");

            // Headless Chromium, as a person would open the link: *.localhost resolves to loopback inside the browser.
            var shown = await ProcessRunner.RunAsync(
                "node",
                [Path.Combine(Requirements.BrowserScripts, "read-page.mjs"), page.ToString(), "#out", "30000"],
                TimeSpan.FromSeconds(60),
                Ct);

            Assert.True(shown.ExitCode == 0, $"the browser did not show the echo: {shown.Stderr}");
            Assert.Equal($"echoed: hello from {page.Authority}", shown.Stdout.Trim());
        }
        finally
        {
            await Client.DeleteSandboxAsync(sandbox.Id, cancellationToken: Ct);
        }
    }

    private Task<Sandbox> CreateWithAppAsync() => PreviewApp.CreateSandboxWithAppAsync(fixture.Silo, Client, Ct);

    private static string Header(IEnumerable<(string Name, string Value)> headers, string name) =>
        headers.Single(h => h.Name.Equals(name, StringComparison.OrdinalIgnoreCase)).Value;

    private static async Task<JsonElement> AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(Ct);
            Assert.True(status == response.StatusCode, $"expected {(int)status}, got {(int)response.StatusCode}: {text}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var problem = JsonDocument.Parse(text).RootElement;
            Assert.Equal(code, problem.GetProperty("code").GetString());
            return problem;
        }
    }

    private static async Task<string> ReceiveTextAsync(WebSocket socket)
    {
        var buffer = new byte[16 * 1024];
        using var message = new MemoryStream();
        WebSocketReceiveResult received;
        do
        {
            received = await socket.ReceiveAsync(buffer, Ct);
            message.Write(buffer, 0, received.Count);
        }
        while (!received.EndOfMessage);
        return Encoding.UTF8.GetString(message.ToArray());
    }
}
