using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using SandboxGrains.Daemon.Http;

namespace SandboxGrains.Daemon.Pty;

/// <summary>
/// A terminal's WebSocket, in the protocol of Daytona's SDK (its <c>PtyHandle</c>): a text control message
/// <c>{"type":"control","status":"connected"}</c> first, then the terminal's output as binary frames, and the client's
/// frames (text or binary) typed into the terminal. When the shell exits, a client that offered the
/// <c>X-Daytona-Pty-Exit-Control</c> subprotocol gets <c>{"status":"exited","exitCode","exitReason"}</c>, and every
/// client a close frame whose reason is <c>{"exitCode","exitReason"}</c> (1000 for exit code 0, else 1011).
/// </summary>
internal static class PtyConnection
{
    /// <summary>Offered by clients that want the <c>exited</c> control message.</summary>
    public const string ExitControlSubprotocol = "X-Daytona-Pty-Exit-Control";

    /// <summary>Carries a new session's environment: this prefix, then base64url (unpadded) of a JSON object.</summary>
    public const string EnvsSubprotocolPrefix = "X-Daytona-Pty-Envs~";

    /// <summary>The subprotocols a client offered (Sec-WebSocket-Protocol, comma-separated, possibly over several headers).</summary>
    public static List<string> Offered(HttpContext context) =>
        [.. context.Request.Headers.SecWebSocketProtocol.SelectMany(v => (v ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))];

    /// <summary>The environment a create-connect carries in its subprotocols; empty without one, 400 when it is malformed.</summary>
    public static Dictionary<string, string> Envs(IEnumerable<string> offered)
    {
        if (offered.FirstOrDefault(p => p.StartsWith(EnvsSubprotocolPrefix, StringComparison.Ordinal)) is not { } token)
        {
            return [];
        }

        try
        {
            var json = Convert.FromBase64String(Base64Padded(token[EnvsSubprotocolPrefix.Length..]));
            return JsonSerializer.Deserialize(json, DaemonJson.Default.DictionaryStringString) ?? [];
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
            throw DaemonError.BadRequest($"the {EnvsSubprotocolPrefix} subprotocol is not base64url of a JSON object of strings: {e.Message}", "INVALID_PTY_ENVS");
        }
    }

    /// <summary>
    /// Accepts the WebSocket (echoing one offered subprotocol, as WebSocket clients require) and serves it until the
    /// client leaves or the shell exits. With <paramref name="refusal"/> it says why there is no terminal and closes.
    /// </summary>
    public static async Task ServeAsync(HttpContext context, PtySession? session, string? refusal = null)
    {
        var offered = Offered(context);
        var chosen = offered.Contains(ExitControlSubprotocol)
            ? ExitControlSubprotocol
            : offered.FirstOrDefault(p => !p.StartsWith(EnvsSubprotocolPrefix, StringComparison.Ordinal)) ?? offered.FirstOrDefault();
        using var socket = await WebSocketHandshake.AcceptAsync(context, chosen);
        var cancellationToken = context.RequestAborted;
        if (session is null)
        {
            await SendControlAsync(socket, new PtyControlMessage("control", "error", Error: refusal), cancellationToken);
            await CloseAsync(socket, WebSocketCloseStatus.PolicyViolation, refusal ?? "no such PTY session", cancellationToken);
            return;
        }

        var client = session.Attach(offered.Contains(ExitControlSubprotocol));
        var sending = SendAsync(socket, session, client, cancellationToken);
        try
        {
            await ReceiveAsync(socket, session, cancellationToken);
        }
        finally
        {
            session.Detach(client, PtyClientEnd.ClientClosed);
        }

        await sending;
    }

    /// <summary>Every frame the client sends is typed into the terminal; returns when it closes.</summary>
    private static async Task ReceiveAsync(WebSocket socket, PtySession session, CancellationToken cancellationToken)
    {
        var buffer = new byte[16 * 1024];
        using var message = new MemoryStream();
        try
        {
            while (socket.State is WebSocketState.Open or WebSocketState.CloseSent)
            {
                var received = await socket.ReceiveAsync(buffer, cancellationToken);
                if (received.MessageType == WebSocketMessageType.Close)
                {
                    return;
                }

                message.Write(buffer, 0, received.Count);
                if (received.EndOfMessage)
                {
                    session.Type(message.ToArray());
                    message.SetLength(0);
                }
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException)
        {
            // The connection broke; the terminal carries on without this client.
        }
    }

    /// <summary>The one sender of the socket: the connected message, the output, then how it ended.</summary>
    private static async Task SendAsync(WebSocket socket, PtySession session, PtyClient client, CancellationToken cancellationToken)
    {
        try
        {
            await SendControlAsync(socket, new PtyControlMessage("control", "connected"), cancellationToken);
            await foreach (var chunk in client.Output.Reader.ReadAllAsync(cancellationToken))
            {
                await socket.SendAsync(chunk, WebSocketMessageType.Binary, endOfMessage: true, cancellationToken);
            }

            switch (client.End)
            {
                case PtyClientEnd.Exited:
                    var exitCode = await session.Exited;
                    var reason = ExitReason(exitCode);
                    if (client.WantsExitControl)
                    {
                        await SendControlAsync(socket, new PtyControlMessage("control", "exited", ExitCode: exitCode, ExitReason: reason), cancellationToken);
                    }

                    var closing = JsonSerializer.Serialize(new PtyExitReason(exitCode, reason), DaemonJson.Default.PtyExitReason);
                    await CloseAsync(socket, exitCode == 0 ? WebSocketCloseStatus.NormalClosure : WebSocketCloseStatus.InternalServerError, closing, cancellationToken);
                    break;
                case PtyClientEnd.TooSlow:
                    await CloseAsync(socket, WebSocketCloseStatus.PolicyViolation, "slow consumer: the terminal's output was not read fast enough", cancellationToken);
                    break;
                default:
                    await CloseAsync(socket, WebSocketCloseStatus.NormalClosure, "", cancellationToken);
                    break;
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException)
        {
        }
    }

    /// <summary>Daytona's words for how a shell ended: none for 0.</summary>
    private static string? ExitReason(int exitCode) => exitCode switch
    {
        0 => null,
        137 => "SIGKILL",
        143 => "SIGTERM",
        130 => "Ctrl+C",
        > 128 => $"signal {exitCode - 128}",
        _ => "non-zero exit",
    };

    private static Task SendControlAsync(WebSocket socket, PtyControlMessage message, CancellationToken cancellationToken) =>
        socket.SendAsync(JsonSerializer.SerializeToUtf8Bytes(message, DaemonJson.Default.PtyControlMessage), WebSocketMessageType.Text, endOfMessage: true, cancellationToken);

    private static async Task CloseAsync(WebSocket socket, WebSocketCloseStatus status, string reason, CancellationToken cancellationToken)
    {
        if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
        {
            // A close reason holds at most 123 bytes.
            var bytes = Encoding.UTF8.GetBytes(reason);
            await socket.CloseOutputAsync(status, bytes.Length <= 123 ? reason : Encoding.UTF8.GetString(bytes, 0, 120) + "…", cancellationToken);
        }
    }

    private static string Base64Padded(string base64Url)
    {
        var standard = base64Url.Replace('-', '+').Replace('_', '/');
        return standard.PadRight(standard.Length + (4 - standard.Length % 4) % 4, '=');
    }
}
