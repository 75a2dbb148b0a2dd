using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using SandboxGrains.Events;
using SandboxGrains.Silo.Api;
using SandboxGrains.Silo.Events;

namespace SandboxGrains.Silo.Daytona;

/// <summary>
/// <c>/api/socket.io/</c>: the event channel Daytona's SDK opens at construction, the smallest part of Socket.IO it
/// needs (Engine.IO 4 over a WebSocket, text packets, the default namespace). The API key comes in the CONNECT packet,
/// not a header; then every sandbox's <c>sandbox.created</c> and <c>sandbox.state.updated</c> (a delete as a change to
/// <c>destroyed</c>) from this silo's <see cref="EventHub"/>, which every silo feeds with every event. With it the SDK
/// waits on events instead of polling, and a Node script that leaves a sandbox behind exits at once.
/// </summary>
internal static class DaytonaEventChannel
{
    /// <summary>The path, for the WebSocket middleware.</summary>
    public const string Path = "/api/socket.io";

    /// <summary>How often the server pings; the client gives up on a server silent for this plus <see cref="PingTimeoutMs"/>.</summary>
    private static readonly TimeSpan PingInterval = TimeSpan.FromSeconds(25);

    private const int PingTimeoutMs = 20_000;

    /// <summary>How long a client may take to send its CONNECT packet after the handshake.</summary>
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(10);

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static RouteGroupBuilder MapDaytonaEventChannel(this RouteGroupBuilder open)
    {
        open.Map("/socket.io/{**rest}", ServeAsync);
        return open;
    }

    private static async Task<IResult> ServeAsync(HttpContext context, EventHub hub, ApiKeyStore keys)
    {
        var query = context.Request.Query;
        if (!context.WebSockets.IsWebSocketRequest || query["transport"] != "websocket" || query["EIO"] != "4")
        {
            return DaytonaErrors.Create(
                context, StatusCodes.Status400BadRequest, "the event channel speaks Engine.IO 4 over a WebSocket only (EIO=4&transport=websocket)");
        }

        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        var toolboxProxyUrl = DaytonaSandboxesApi.ToolboxProxyUrl(context);
        try
        {
            await SendAsync(socket, "0" + JsonSerializer.Serialize(
                new { sid = NewId(), upgrades = Array.Empty<string>(), pingInterval = (int)PingInterval.TotalMilliseconds, pingTimeout = PingTimeoutMs, maxPayload = 1_000_000 }));
            if (!await ConnectAsync(socket, keys, context.RequestAborted))
            {
                await SendAsync(socket, "44" + JsonSerializer.Serialize(new { message = "Unauthorized: send a SandboxGrains API key as the token" }));
                await socket.CloseOutputAsync(WebSocketCloseStatus.PolicyViolation, "unauthorized", CancellationToken.None);
                return TypedResults.Empty;
            }

            await SendAsync(socket, "40" + JsonSerializer.Serialize(new { sid = NewId() }));
            await StreamAsync(socket, hub, toolboxProxyUrl, context.RequestAborted);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException)
        {
            // The client went away.
        }

        return TypedResults.Empty;
    }

    /// <summary>Reads the client's CONNECT packet (<c>40{"token":…}</c>) and checks its key.</summary>
    private static async Task<bool> ConnectAsync(WebSocket socket, ApiKeyStore keys, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ConnectTimeout);
        var packet = await ReceiveAsync(socket, timeout.Token);
        if (packet is null || !packet.StartsWith("40", StringComparison.Ordinal))
        {
            return false;
        }

        try
        {
            using var auth = JsonDocument.Parse(packet.Length > 2 ? packet[2..] : "{}");
            return auth.RootElement.ValueKind == JsonValueKind.Object
                && auth.RootElement.TryGetProperty("token", out var token) && token.ValueKind == JsonValueKind.String
                && keys.IsValid(token.GetString());
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>Sends the events and the pings (one writer, so sends never overlap) until the client leaves.</summary>
    private static async Task StreamAsync(WebSocket socket, EventHub hub, string toolboxProxyUrl, CancellationToken cancellationToken)
    {
        using var gone = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var listening = ListenAsync(socket, gone);
        var (channel, _) = hub.Subscribe(lastEventId: null);
        try
        {
            while (!gone.IsCancellationRequested)
            {
                NumberedEvent? next = null;
                using (var wait = CancellationTokenSource.CreateLinkedTokenSource(gone.Token))
                {
                    wait.CancelAfter(PingInterval);
                    try
                    {
                        if (!await channel.Reader.WaitToReadAsync(wait.Token))
                        {
                            break; // Fell too far behind: the client reconnects and polls what it waits for.
                        }

                        channel.Reader.TryRead(out next);
                    }
                    catch (OperationCanceledException) when (!gone.IsCancellationRequested)
                    {
                    }
                }

                if (next is null)
                {
                    await SendAsync(socket, "2");
                }
                else if (Packet(next.Event, toolboxProxyUrl) is { } packet)
                {
                    await SendAsync(socket, packet);
                }
            }
        }
        finally
        {
            hub.Unsubscribe(channel);
            await gone.CancelAsync();
            await listening;
        }

        if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
        {
            await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
        }
    }

    /// <summary>Reads what the client sends (pongs) until it closes or disconnects (<c>41</c>), then ends the stream.</summary>
    private static async Task ListenAsync(WebSocket socket, CancellationTokenSource gone)
    {
        try
        {
            while (await ReceiveAsync(socket, gone.Token) is { } packet && packet != "41")
            {
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException)
        {
        }
        finally
        {
            await gone.CancelAsync();
        }
    }

    /// <summary>An event as the SDK reads it, or null for events it does not follow (and warm pools' unclaimed sandboxes).</summary>
    internal static string? Packet(ClusterEvent e, string toolboxProxyUrl)
    {
        if (e.Sandbox is not { PoolId: null } info)
        {
            return null;
        }

        var sandbox = DaytonaSandbox.From(info, toolboxProxyUrl);
        object[]? payload = e.Type switch
        {
            ClusterEventTypes.SandboxCreated => [ClusterEventTypes.SandboxCreated, sandbox],
            ClusterEventTypes.SandboxStateUpdated => [ClusterEventTypes.SandboxStateUpdated, new
            {
                sandbox,
                oldState = e.From is { } from ? DaytonaStates.Name(from) : null,
                newState = sandbox.State,
            }],
            ClusterEventTypes.SandboxDeleted => [ClusterEventTypes.SandboxStateUpdated, new
            {
                sandbox = sandbox.AsDestroyed(),
                oldState = "destroying",
                newState = "destroyed",
            }],
            _ => null,
        };
        return payload is null ? null : "42" + JsonSerializer.Serialize(payload, Json);
    }

    private static Task SendAsync(WebSocket socket, string packet) =>
        socket.SendAsync(Encoding.UTF8.GetBytes(packet), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);

    /// <summary>One whole text message, or null once the client closes.</summary>
    private static async Task<string?> ReceiveAsync(WebSocket socket, CancellationToken cancellationToken)
    {
        var buffer = new byte[4096];
        using var message = new MemoryStream();
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer, cancellationToken);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return null;
            }

            message.Write(buffer, 0, result.Count);
            if (message.Length > 64 * 1024)
            {
                return null; // The client only ever sends short packets.
            }

            if (result.EndOfMessage)
            {
                return Encoding.UTF8.GetString(message.GetBuffer(), 0, (int)message.Length);
            }
        }
    }

    private static string NewId() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(15)).Replace('+', '-').Replace('/', '_');
}
