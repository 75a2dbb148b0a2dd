using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using SandboxGrains.Testing;
using Xunit;

namespace SandboxGrains.Daemon.Tests;

/// <summary>The toolbox API of sandboxd running as PID 1 in a busybox container (no libc in the image).</summary>
public sealed class DaemonApiTests(BusyboxDaemonFixture fixture) : IClassFixture<BusyboxDaemonFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private HttpClient Client() => fixture.Container.CreateClient();

    private async Task<JsonElement> ExecuteAsync(object body, HttpStatusCode expected = HttpStatusCode.OK)
    {
        using var client = Client();
        using var response = await client.PostAsJsonAsync("/process/execute", body, Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(expected == response.StatusCode, $"{(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement;
    }

    /// <summary>Polls <paramref name="condition"/> for up to 10 s; fails naming <paramref name="what"/> if it never holds.</summary>
    private static async Task Eventually(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"waited 10 s for {what}");
            await Task.Delay(50, Ct);
        }
    }

    private async Task<string> ShAsync(string command)
    {
        var result = await ExecuteAsync(new { command });
        Assert.Equal(0, result.GetProperty("exitCode").GetInt32());
        return result.GetProperty("result").GetString()!;
    }

    [Fact]
    public async Task Version_WithoutToken_Is401_WithToken_Answers()
    {
        using var anonymous = fixture.Container.CreateClient(withToken: false);
        using var refused = await anonymous.GetAsync("/version", Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        var error = JsonDocument.Parse(await refused.Content.ReadAsStringAsync(Ct)).RootElement;
        Assert.Equal(401, error.GetProperty("statusCode").GetInt32());
        Assert.Equal("UNAUTHORIZED", error.GetProperty("code").GetString());

        anonymous.DefaultRequestHeaders.Add("X-Sandbox-Daemon-Token", "wrong");
        using var wrong = await anonymous.GetAsync("/version", Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);

        using var client = Client();
        var version = await client.GetFromJsonAsync<JsonElement>("/version", Ct);
        Assert.False(string.IsNullOrEmpty(version.GetProperty("version").GetString()));
        var workDir = await client.GetFromJsonAsync<JsonElement>("/work-dir", Ct);
        Assert.Equal("/work", workDir.GetProperty("dir").GetString());
    }

    [Fact]
    public async Task Execute_ReportsExitCodeCombinedOutputCwdAndEnv()
    {
        var result = await ExecuteAsync(new { command = "echo out; echo err >&2; pwd; echo $GREETING; exit 7", cwd = "/tmp", envs = new Dictionary<string, string> { ["GREETING"] = "hi there" } });

        Assert.Equal(7, result.GetProperty("exitCode").GetInt32());
        var output = result.GetProperty("result").GetString()!;
        Assert.Contains("out\n", output, StringComparison.Ordinal);
        Assert.Contains("err\n", output, StringComparison.Ordinal);
        Assert.Contains("/tmp\n", output, StringComparison.Ordinal);
        Assert.Contains("hi there\n", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Execute_NeverSeesTheDaemonSecret()
    {
        var output = await ShAsync("env");
        Assert.DoesNotContain("SANDBOXD_TOKEN", output, StringComparison.Ordinal);
        Assert.DoesNotContain(DaemonContainer.Token, output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Execute_Timeout_Is408AndKillsTheProcessTree()
    {
        var marker = $"sleeper-{Guid.NewGuid():N}"[..16];
        var error = await ExecuteAsync(new { command = $"sh -c 'sleep 300; echo {marker}' & sleep 300", timeout = 1 }, HttpStatusCode.RequestTimeout);

        Assert.Equal("PROCESS_EXECUTION_TIMEOUT", error.GetProperty("code").GetString());
        var processes = await ShAsync("ps -o args");
        Assert.DoesNotContain(marker, processes, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{}", "MISSING_COMMAND")]
    [InlineData("{\"command\":", "INVALID_BODY")]
    [InlineData("{\"command\":\"true\",\"cwd\":\"/nope/not/here\"}", "INVALID_CWD")]
    public async Task Execute_BadInput_Is400WithCode(string body, string code)
    {
        using var client = Client();
        using var response = await client.PostAsync("/process/execute", new StringContent(body, Encoding.UTF8, "application/json"), Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(code, JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("code").GetString());
    }

    [Fact]
    public async Task Session_KeepsCwdAndExports_AndAsyncLogsFollowOverWebSocket()
    {
        var session = $"s-{Guid.NewGuid():N}";
        using var client = Client();
        using (var created = await client.PostAsJsonAsync("/process/session", new { sessionId = session }, Ct))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        using (var sync = await client.PostAsJsonAsync($"/process/session/{session}/exec", new { command = "cd /tmp && export COLOR=blue" }, Ct))
        {
            Assert.Equal(0, (await sync.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("exitCode").GetInt32());
        }

        using (var state = await client.PostAsJsonAsync($"/process/session/{session}/exec", new { command = "echo $(pwd) $COLOR" }, Ct))
        {
            var body = await state.Content.ReadFromJsonAsync<JsonElement>(Ct);
            Assert.Equal("/tmp blue\n", body.GetProperty("stdout").GetString());
        }

        using var started = await client.PostAsJsonAsync($"/process/session/{session}/exec",
            new { command = "for i in 1 2 3; do echo line$i; echo warn$i >&2; sleep 0.3; done; exit 4", runAsync = true }, Ct);
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        var commandId = (await started.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("cmdId").GetString();

        using var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("X-Sandbox-Daemon-Token", DaemonContainer.Token);
        var uri = new Uri($"ws://{fixture.Container.BaseAddress.Authority}/process/session/{session}/command/{commandId}/logs?follow=true");
        await socket.ConnectAsync(uri, Ct);
        var (stdout, stderr, closed) = await DaytonaLogStream.ReadToEndAsync(socket, Ct);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, closed);
        Assert.Equal("line1\nline2\nline3\n", stdout);
        Assert.Equal("warn1\nwarn2\nwarn3\n", stderr);

        var status = await client.GetFromJsonAsync<JsonElement>($"/process/session/{session}/command/{commandId}", Ct);
        Assert.Equal(4, status.GetProperty("exitCode").GetInt32());
        var logs = await client.GetFromJsonAsync<JsonElement>($"/process/session/{session}/command/{commandId}/logs", Ct);
        Assert.Equal("line1\nline2\nline3\n", logs.GetProperty("stdout").GetString());

        using var deleted = await client.DeleteAsync($"/process/session/{session}", Ct);
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        using var gone = await client.GetAsync($"/process/session/{session}", Ct);
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
    }

    [Fact]
    public async Task Session_InputReachesTheCommand()
    {
        var session = $"s-{Guid.NewGuid():N}";
        using var client = Client();
        (await client.PostAsJsonAsync("/process/session", new { sessionId = session }, Ct)).Dispose();
        using var started = await client.PostAsJsonAsync($"/process/session/{session}/exec", new { command = "read name; echo hello $name", runAsync = true }, Ct);
        var commandId = (await started.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("cmdId").GetString();

        (await client.PostAsJsonAsync($"/process/session/{session}/command/{commandId}/input", new { data = "world\n" }, Ct)).Dispose();

        var deadline = DateTime.UtcNow.AddSeconds(20);
        JsonElement status;
        do
        {
            await Task.Delay(100, Ct);
            status = await client.GetFromJsonAsync<JsonElement>($"/process/session/{session}/command/{commandId}", Ct);
        }
        while (!status.TryGetProperty("exitCode", out _) && DateTime.UtcNow < deadline);

        var logs = await client.GetFromJsonAsync<JsonElement>($"/process/session/{session}/command/{commandId}/logs", Ct);
        Assert.Equal("hello world\n", logs.GetProperty("stdout").GetString());
    }

    [Fact]
    public async Task Entrypoint_IsASession()
    {
        using var client = Client();

        var sessions = await client.GetFromJsonAsync<JsonElement>("/process/session", Ct);
        var entrypoint = Assert.Single(sessions.EnumerateArray(), s => s.GetProperty("sessionId").GetString() == "entrypoint");
        var command = Assert.Single(entrypoint.GetProperty("commands").EnumerateArray());
        Assert.Equal("sh", command.GetProperty("command").GetString());
        Assert.Equal(0, command.GetProperty("exitCode").GetInt32()); // sh without a terminal exits at once; the sandbox stays up
        using var logs = await client.GetAsync("/process/session/entrypoint/logs", Ct);
        Assert.Equal(HttpStatusCode.OK, logs.StatusCode);
    }

    [Fact]
    public async Task Files_50MegabyteUploadAndDownload_RoundTripsWithMatchingHash()
    {
        var data = new byte[50 * 1024 * 1024];
        new Random(42).NextBytes(data);
        var path = $"/work/big-{Guid.NewGuid():N}.bin";
        using var client = Client();

        using (var upload = await client.PostAsync($"/files/upload?path={Uri.EscapeDataString(path)}", new ByteArrayContent(data), Ct))
        {
            Assert.Equal(HttpStatusCode.OK, upload.StatusCode);
        }

        using var download = await client.GetAsync($"/files/download?path={Uri.EscapeDataString(path)}", HttpCompletionOption.ResponseHeadersRead, Ct);
        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        await using var stream = await download.Content.ReadAsStreamAsync(Ct);
        Assert.Equal(SHA256.HashData(data), await SHA256.HashDataAsync(stream, Ct));
        Assert.Empty(await ShAsync("ls -a /work | grep '.part$' || true"));
    }

    [Fact]
    public async Task Files_ClientDisconnectsMidUpload_NoPartialFileAndTheOldContentAndTheDaemonSurvive()
    {
        var path = $"/work/interrupted-{Guid.NewGuid():N}.txt";
        using var client = Client();
        using (var original = await client.PostAsync($"/files/upload?path={Uri.EscapeDataString(path)}", new StringContent("the original"), Ct))
        {
            Assert.Equal(HttpStatusCode.OK, original.StatusCode);
        }

        // A client announces 8 MB, sends 1 MB of it and goes away (a closed laptop, a killed script).
        using (var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp))
        {
            await socket.ConnectAsync(fixture.Container.BaseAddress.Host, fixture.Container.BaseAddress.Port, Ct);
            var head = $"POST /files/upload?path={Uri.EscapeDataString(path)} HTTP/1.1\r\nHost: sandbox\r\n" +
                       $"X-Sandbox-Daemon-Token: {DaemonContainer.Token}\r\nContent-Type: application/octet-stream\r\nContent-Length: {8 * 1024 * 1024}\r\n\r\n";
            await socket.SendAsync(Encoding.ASCII.GetBytes(head), Ct);
            await socket.SendAsync(new byte[1024 * 1024], Ct);

            // The upload is under way: its bytes go to a temporary file beside the target, not to the target.
            await Eventually(async () => (await PartialFilesAsync()).Length > 0, "a temporary file while the upload runs");
        }

        // The abandoned temporary file goes away; the file under its name keeps its old content; the daemon serves on.
        await Eventually(async () => (await PartialFilesAsync()).Length == 0, "the temporary file removed after the disconnect");
        var leftovers = await PartialFilesAsync();

        Task<string> PartialFilesAsync() => ShAsync($"ls -a {Path.GetDirectoryName(path)} | grep -F '{Path.GetFileName(path)}' | grep part$ || true");

        Assert.Empty(leftovers);
        Assert.Equal("the original", await client.GetStringAsync($"/files/download?path={Uri.EscapeDataString(path)}", Ct));
        using var version = await client.GetAsync("/version", Ct);
        Assert.Equal(HttpStatusCode.OK, version.StatusCode);
    }

    [Fact]
    public async Task Files_BulkUploadThenBulkDownload_WithOneMissingPath_HasAnErrorPartAnd200()
    {
        var folder = $"/work/bulk-{Guid.NewGuid():N}";
        using var client = Client();
        using var form = new MultipartFormDataContent();
        form.Add(new StringContent($"{folder}/a.txt"), "files[0].path");
        form.Add(new ByteArrayContent("alpha"u8.ToArray()), "files[0].file", "a.txt");
        form.Add(new StringContent($"{folder}/nested/b.txt"), "files[1].path");
        form.Add(new ByteArrayContent("beta"u8.ToArray()), "files[1].file", "b.txt");
        using (var uploaded = await client.PostAsync("/files/bulk-upload", form, Ct))
        {
            Assert.Equal(HttpStatusCode.OK, uploaded.StatusCode);
        }

        using var response = await client.PostAsJsonAsync("/files/bulk-download", new { paths = new[] { $"{folder}/a.txt", $"{folder}/missing.txt", $"{folder}/nested/b.txt" } }, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("multipart/form-data", response.Content.Headers.ContentType?.MediaType);
        var boundary = response.Content.Headers.ContentType!.Parameters.Single(p => p.Name == "boundary").Value!.Trim('"');
        var reader = new Microsoft.AspNetCore.WebUtilities.MultipartReader(boundary, await response.Content.ReadAsStreamAsync(Ct));
        var parts = new List<(string Name, string FileName, string Body)>();
        while (await reader.ReadNextSectionAsync(Ct) is { } section)
        {
            var disposition = System.Net.Http.Headers.ContentDispositionHeaderValue.Parse(section.ContentDisposition!);
            parts.Add((disposition.Name!.Trim('"'), disposition.FileName!.Trim('"'), await new StreamReader(section.Body).ReadToEndAsync(Ct)));
        }

        Assert.Equal(3, parts.Count);
        Assert.Contains(("file", $"{folder}/a.txt", "alpha"), parts);
        Assert.Contains(("file", $"{folder}/nested/b.txt", "beta"), parts);
        var error = parts.Single(p => p.Name == "error");
        Assert.Equal($"{folder}/missing.txt", error.FileName);
        var errorBody = JsonDocument.Parse(error.Body).RootElement;
        Assert.Equal(404, errorBody.GetProperty("statusCode").GetInt32());
        Assert.Equal("FILE_NOT_FOUND", errorBody.GetProperty("code").GetString());
    }

    [Theory]
    [InlineData("GET", "/computeruse/status", 501, "NOT_IMPLEMENTED")]
    [InlineData("GET", "/lsp/completions", 501, "NOT_IMPLEMENTED")]
    [InlineData("GET", "/no/such/route", 404, "NOT_FOUND")]
    public async Task UnknownRoute_DaytonaFeatureWeLack_Is501_ElseA404(string method, string path, int status, string code)
    {
        using var client = Client();

        using var response = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path), Ct);

        Assert.Equal(status, (int)response.StatusCode);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement;
        Assert.Equal(code, body.GetProperty("code").GetString());
    }

    [Fact]
    public async Task Git_InAnImageWithout_Is400NamingGit()
    {
        var (status, body) = await fixture.Container.PostJsonAsync("/git/clone", new { url = "https://example.invalid/r.git", path = "/tmp/r" }, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("GIT_NOT_FOUND", body!.Value.GetProperty("code").GetString());
        Assert.StartsWith("git (sandbox.git) needs git, and this sandbox's image has none on its PATH", body.Value.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Files_FindSearchReplaceMoveDelete_Work()
    {
        var folder = $"/work/ops-{Guid.NewGuid():N}";
        await ShAsync($"mkdir -p {folder}/sub && printf 'one\\nneedle here\\nthree\\n' > {folder}/a.txt && printf 'needle again\\n' > {folder}/sub/b.md");
        using var client = Client();

        var found = await client.GetFromJsonAsync<JsonElement>($"/files/find?path={folder}&pattern=needle", Ct);
        Assert.Equal(2, found.GetArrayLength());
        Assert.Contains(found.EnumerateArray(), m => m.GetProperty("file").GetString() == $"{folder}/a.txt" && m.GetProperty("line").GetInt32() == 2);

        var searched = await client.GetFromJsonAsync<JsonElement>($"/files/search?path={folder}&pattern=*.md", Ct);
        Assert.Equal($"{folder}/sub/b.md", Assert.Single(searched.GetProperty("files").EnumerateArray()).GetString());

        using (var replaced = await client.PostAsJsonAsync("/files/replace", new { files = new[] { $"{folder}/a.txt", $"{folder}/nope.txt" }, pattern = "needle", newValue = "thread" }, Ct))
        {
            var results = await replaced.Content.ReadFromJsonAsync<JsonElement>(Ct);
            Assert.True(results[0].GetProperty("success").GetBoolean());
            Assert.False(results[1].GetProperty("success").GetBoolean());
        }

        Assert.Equal("one\nthread here\nthree\n", await ShAsync($"cat {folder}/a.txt"));

        using (var moved = await client.PostAsync($"/files/move?source={folder}/a.txt&destination={folder}/moved/a.txt", null, Ct))
        {
            Assert.Equal(HttpStatusCode.OK, moved.StatusCode);
        }

        using (var conflict = await client.PostAsync($"/files/move?source={folder}/sub/b.md&destination={folder}/moved/a.txt", null, Ct))
        {
            Assert.Equal(HttpStatusCode.Conflict, conflict.StatusCode);
        }

        var info = await client.GetFromJsonAsync<JsonElement>($"/files/info?path={folder}/moved/a.txt", Ct);
        Assert.False(info.GetProperty("isDir").GetBoolean());
        Assert.Equal("root", info.GetProperty("owner").GetString());

        using (var notEmpty = await client.DeleteAsync($"/files?path={folder}", Ct))
        {
            Assert.Equal(HttpStatusCode.BadRequest, notEmpty.StatusCode);
        }

        using (var deleted = await client.DeleteAsync($"/files?path={folder}&recursive=true", Ct))
        {
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }

        using var missing = await client.GetAsync($"/files/info?path={folder}", Ct);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task Files_DirectoryWhereFileExpected_Is400()
    {
        using var client = Client();
        using var response = await client.GetAsync("/files/download?path=/tmp", Ct);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("INVALID_FILE_PATH", JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("code").GetString());
    }

    [Fact]
    public async Task PortAndProxy_ReachAnHttpServerInside_And502NamesADeadPort()
    {
        var port = Random.Shared.Next(20000, 30000);
        await ShAsync($"mkdir -p /srv/{port} && echo 'hello from inside' > /srv/{port}/index.html && httpd -p 127.0.0.1:{port} -h /srv/{port}");
        using var client = Client();

        var ports = await client.GetFromJsonAsync<JsonElement>("/port", Ct);
        Assert.Contains(ports.GetProperty("ports").EnumerateArray(), p => p.GetInt32() == port);
        Assert.True((await client.GetFromJsonAsync<JsonElement>($"/port/{port}/in-use", Ct)).GetProperty("isInUse").GetBoolean());
        Assert.False((await client.GetFromJsonAsync<JsonElement>($"/port/{port + 1}/in-use", Ct)).GetProperty("isInUse").GetBoolean());
        using (var notAPort = await client.GetAsync("/port/http/in-use", Ct))
        {
            Assert.Equal(HttpStatusCode.BadRequest, notAPort.StatusCode);
        }

        var page = await client.GetStringAsync($"/proxy/{port}/index.html", Ct);
        Assert.Equal("hello from inside\n", page);

        using var dead = await client.GetAsync($"/proxy/{port + 1}/", Ct);
        Assert.Equal(HttpStatusCode.BadGateway, dead.StatusCode);
        Assert.Contains($"port {port + 1}", await dead.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);

        using var invalid = await client.GetAsync("/proxy/70000/", Ct);
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
        using var own = await client.GetAsync("/proxy/2280/version", Ct);
        Assert.Equal(HttpStatusCode.Forbidden, own.StatusCode);
    }

    [Fact]
    public async Task Pid1_ReapsOrphanedGrandchildren()
    {
        // The subshell exits at once; its sleeping child is re-parented to PID 1 and must be reaped when it ends.
        await ShAsync("(sleep 0.2 &) ; (sleep 0.2 &) ; true");
        var deadline = DateTime.UtcNow.AddSeconds(10);
        string zombies;
        do
        {
            await Task.Delay(300, Ct);
            zombies = await ShAsync("for f in /proc/[0-9]*/stat; do read -r l < $f 2>/dev/null && case \"$l\" in *') Z '*) echo \"$l\";; esac; done; true");
        }
        while (zombies.Length > 0 && DateTime.UtcNow < deadline);

        Assert.Equal("", zombies);
    }
}
