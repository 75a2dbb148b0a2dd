using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Xunit;

namespace SandboxGrains.Daemon.Tests;

/// <summary>Pseudo-terminals of the daemon in busybox (an image without a libc: the terminal calls run on the bundle's).</summary>
public sealed class PtyTests(BusyboxDaemonFixture fixture) : IClassFixture<BusyboxDaemonFixture>
{
    private const string ExitControl = "X-Daytona-Pty-Exit-Control";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private DaemonContainer Daemon => fixture.Container;

    private async Task<ClientWebSocket> ConnectAsync(string pathAndQuery, params string[] subprotocols)
    {
        var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("X-Sandbox-Daemon-Token", DaemonContainer.Token);
        foreach (var subprotocol in subprotocols)
        {
            socket.Options.AddSubProtocol(subprotocol);
        }

        await socket.ConnectAsync(new Uri($"ws://{Daemon.BaseAddress.Authority}{pathAndQuery}"), Ct);
        return socket;
    }

    /// <summary>The next whole message: its type and text.</summary>
    private static async Task<(WebSocketMessageType Type, string Text)> ReceiveAsync(WebSocket socket)
    {
        var buffer = new byte[64 * 1024];
        using var message = new MemoryStream();
        WebSocketReceiveResult received;
        do
        {
            received = await socket.ReceiveAsync(buffer, Ct);
            message.Write(buffer, 0, received.Count);
        }
        while (!received.EndOfMessage);
        return (received.MessageType, Encoding.UTF8.GetString(message.ToArray()));
    }

    /// <summary>Terminal output until it contains <paramref name="expected"/> (10 s at most); what was read.</summary>
    private static async Task<string> ReadUntilAsync(WebSocket socket, string expected)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        deadline.CancelAfter(TimeSpan.FromSeconds(10));
        var output = new StringBuilder();
        while (!output.ToString().Contains(expected, StringComparison.Ordinal))
        {
            var buffer = new byte[64 * 1024];
            var received = await socket.ReceiveAsync(buffer, deadline.Token);
            Assert.True(received.MessageType == WebSocketMessageType.Binary, $"expected output, got {received.MessageType} after: {output}");
            output.Append(Encoding.UTF8.GetString(buffer, 0, received.Count));
        }

        return output.ToString();
    }

    private static Task TypeAsync(WebSocket socket, string keys) =>
        socket.SendAsync(Encoding.UTF8.GetBytes(keys), WebSocketMessageType.Binary, endOfMessage: true, Ct);

    private static void AssertControl(string text, string status)
    {
        var control = JsonDocument.Parse(text).RootElement;
        Assert.Equal("control", control.GetProperty("type").GetString());
        Assert.Equal(status, control.GetProperty("status").GetString());
    }

    [Fact]
    public async Task CreateConnectTypeResizeKill_IsAnInteractiveShellInARealTerminal()
    {
        var id = $"pty-{Guid.NewGuid():N}";
        var (created, body) = await Daemon.PostJsonAsync("/process/pty", new { id, cols = 80, rows = 24, envs = new Dictionary<string, string> { ["GREETING"] = "hello" } }, Ct);
        Assert.Equal(HttpStatusCode.Created, created);
        Assert.Equal(id, body!.Value.GetProperty("sessionId").GetString());

        using var socket = await ConnectAsync($"/process/pty/{id}/connect", ExitControl);
        Assert.Equal(ExitControl, socket.SubProtocol);
        var (type, text) = await ReceiveAsync(socket);
        Assert.Equal(WebSocketMessageType.Text, type);
        AssertControl(text, "connected");

        // $((6*7)) is 42 only once the shell ran it; the terminal's echo of the typed line shows the expression.
        await TypeAsync(socket, "echo \"$GREETING $((6*7))\"; tty; stty size\n");
        var output = await ReadUntilAsync(socket, "24 80");
        Assert.Contains("hello 42", output, StringComparison.Ordinal);
        Assert.Contains("/dev/pts/", output, StringComparison.Ordinal);

        var (resized, info) = await Daemon.PostJsonAsync($"/process/pty/{id}/resize", new { cols = 120, rows = 40 }, Ct);
        Assert.Equal(HttpStatusCode.OK, resized);
        Assert.Equal(120, info!.Value.GetProperty("cols").GetInt32());
        await TypeAsync(socket, "stty size\n");
        await ReadUntilAsync(socket, "40 120");

        var listed = (await Daemon.SendJsonAsync(HttpMethod.Get, "/process/pty", null, Ct)).Body!.Value;
        var mine = Assert.Single(listed.GetProperty("sessions").EnumerateArray(), s => s.GetProperty("id").GetString() == id);
        Assert.True(mine.GetProperty("active").GetBoolean());
        Assert.Equal("hello", mine.GetProperty("envs").GetProperty("GREETING").GetString());

        Assert.Equal(HttpStatusCode.NoContent, (await Daemon.SendJsonAsync(HttpMethod.Delete, $"/process/pty/{id}", null, Ct)).Status);

        string exited;
        do
        {
            (type, exited) = await ReceiveAsync(socket);
        }
        while (type == WebSocketMessageType.Binary);
        AssertControl(exited, "exited");
        Assert.Equal(137, JsonDocument.Parse(exited).RootElement.GetProperty("exitCode").GetInt32());
        var (closing, _) = await ReceiveAsync(socket);
        Assert.Equal(WebSocketMessageType.Close, closing);
        Assert.Equal(WebSocketCloseStatus.InternalServerError, socket.CloseStatus);
        Assert.Equal(137, JsonDocument.Parse(socket.CloseStatusDescription!).RootElement.GetProperty("exitCode").GetInt32());
        Assert.Equal(HttpStatusCode.NotFound, (await Daemon.SendJsonAsync(HttpMethod.Get, $"/process/pty/{id}", null, Ct)).Status);
    }

    [Fact]
    public async Task CreateConnect_TakesEnvsFromTheSubprotocol_AndTheShellsExitCodeEndsIt()
    {
        var id = $"pty-{Guid.NewGuid():N}";
        var envs = Convert.ToBase64String(Encoding.UTF8.GetBytes("{\"COLOR\":\"teal\"}")).TrimEnd('=').Replace('+', '-').Replace('/', '_');

        using var socket = await ConnectAsync($"/process/pty/create-connect?id={id}&cols=100&rows=30&cwd=/tmp", $"X-Daytona-Pty-Envs~{envs}", ExitControl);
        AssertControl((await ReceiveAsync(socket)).Text, "connected");
        await TypeAsync(socket, "echo \"[$COLOR] $(pwd)\"; exit 3\n");
        var output = await ReadUntilAsync(socket, "[teal] /tmp");

        string exited;
        WebSocketMessageType type;
        do
        {
            (type, exited) = await ReceiveAsync(socket);
        }
        while (type == WebSocketMessageType.Binary);
        AssertControl(exited, "exited");
        Assert.Equal(3, JsonDocument.Parse(exited).RootElement.GetProperty("exitCode").GetInt32());
        Assert.Contains("[teal] /tmp", output, StringComparison.Ordinal);
    }

    /// <summary>
    /// Many shells ending at once, while commands the daemon runs through .NET end too: every SIGCHLD makes .NET (the
    /// daemon is PID 1) reap children, so a terminal whose exit status is not .NET's to hand out would lose it (-1).
    /// </summary>
    [Fact]
    public async Task ManyShells_EndingWhileOtherCommandsEnd_EachReportItsOwnExitCode()
    {
        const int Shells = 12;
        const int Rounds = 3;
        for (var round = 0; round < Rounds; round++)
        {
            var sockets = new List<ClientWebSocket>();
            try
            {
                for (var i = 0; i < Shells; i++)
                {
                    var socket = await ConnectAsync($"/process/pty/create-connect?id=pty-{Guid.NewGuid():N}", ExitControl);
                    sockets.Add(socket);
                    AssertControl((await ReceiveAsync(socket)).Text, "connected");
                    await TypeAsync(socket, "echo ready\n");
                    await ReadUntilAsync(socket, "ready");
                }

                var commands = Enumerable.Range(0, Shells).Select(_ => Daemon.PostJsonAsync("/process/execute", new { command = "true" }, Ct)).ToList();
                var exits = sockets.Select((socket, i) => ExitCodeAfterAsync(socket, $"exit {10 + i}\n")).ToList();
                var codes = await Task.WhenAll(exits);
                await Task.WhenAll(commands);

                Assert.Equal(Enumerable.Range(10, Shells), codes);
            }
            finally
            {
                foreach (var socket in sockets)
                {
                    socket.Dispose();
                }
            }
        }
    }

    /// <summary>Types <paramref name="keys"/> and returns the exit code of the "exited" control message that follows.</summary>
    private static async Task<int> ExitCodeAfterAsync(WebSocket socket, string keys)
    {
        await TypeAsync(socket, keys);
        string text;
        WebSocketMessageType type;
        do
        {
            (type, text) = await ReceiveAsync(socket);
        }
        while (type == WebSocketMessageType.Binary);
        AssertControl(text, "exited");
        return JsonDocument.Parse(text).RootElement.GetProperty("exitCode").GetInt32();
    }

    [Fact]
    public async Task Connect_ToAnUnknownSession_SaysSoOnTheSocket()
    {
        using var socket = await ConnectAsync("/process/pty/no-such-session/connect", ExitControl);

        var (type, text) = await ReceiveAsync(socket);

        Assert.Equal(WebSocketMessageType.Text, type);
        AssertControl(text, "error");
        Assert.Contains("PTY session no-such-session not found", JsonDocument.Parse(text).RootElement.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_TwiceWithOneId_Is409_AndBadSizesAre400()
    {
        var id = $"pty-{Guid.NewGuid():N}";
        Assert.Equal(HttpStatusCode.Created, (await Daemon.PostJsonAsync("/process/pty", new { id }, Ct)).Status);

        var again = await Daemon.PostJsonAsync("/process/pty", new { id }, Ct);
        var tooWide = await Daemon.PostJsonAsync("/process/pty", new { id = id + "-wide", cols = 5000 }, Ct);

        Assert.Equal(HttpStatusCode.Conflict, again.Status);
        Assert.Equal(HttpStatusCode.BadRequest, tooWide.Status);
        await Daemon.SendJsonAsync(HttpMethod.Delete, $"/process/pty/{id}", null, Ct);
    }
}
