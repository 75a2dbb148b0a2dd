using System.Diagnostics.Metrics;
using System.Net.ServerSentEvents;
using System.Net.WebSockets;
using System.Runtime.CompilerServices;
using System.Text.Json;
using SandboxGrains.Events;
using SandboxGrains.Telemetry;

using SandboxGrains.Silo.Api;

namespace SandboxGrains.Silo.Events;

/// <summary>
/// <c>GET /api/v1/events</c>: the cluster's events as Server-Sent Events, or one JSON text message per event over a
/// WebSocket when the request asks to upgrade, from this silo's <see cref="EventHub"/> (every silo gets every event).
/// Filters: <c>type</c> (a type, or a prefix ending in '.'), <c>sandboxId</c>, <c>label=k=v</c> (repeatable, all must
/// match). A client that reconnects with <c>Last-Event-ID</c> (or <c>?lastEventId=</c>) gets what it missed from this
/// silo's buffer, or a <c>reset</c> event when that is gone (re-list, then carry on).
/// </summary>
internal static class EventsApi
{
    /// <summary>A comment-free keep-alive: proxies and load balancers drop connections that stay silent.</summary>
    internal static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(15);

    /// <summary>The path, for the WebSocket middleware that only this route needs.</summary>
    internal const string Path = "/api/v1/events";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private static readonly Counter<long> Delivered = SandboxGrainsTelemetry.Meter.CreateCounter<long>(
        "sandboxgrains.events.delivered", unit: "{event}", description: "Events handed to this silo's subscribers, by type.");

    public static RouteGroupBuilder MapEventsApi(this RouteGroupBuilder api)
    {
        api.MapGet("/events", StreamAsync).WithName("StreamEvents").WithSummary("The cluster's events as Server-Sent Events, or over a WebSocket")
            .Produces<EventMessage>(StatusCodes.Status200OK, "text/event-stream").Answers(SandboxErrorCodes.InvalidRequest);
        return api;
    }

    private static async Task<IResult> StreamAsync(HttpContext context, EventHub hub, string? type, string? sandboxId, string[]? label)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in label ?? [])
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                return Api.Problems.InvalidField("label", "must be key=value");
            }

            labels[pair[..equals]] = pair[(equals + 1)..];
        }

        var lastEventId = context.Request.Headers["Last-Event-ID"].FirstOrDefault() ?? context.Request.Query["lastEventId"].FirstOrDefault();
        var filter = new EventFilter(type, sandboxId, labels);
        if (!context.WebSockets.IsWebSocketRequest)
        {
            // A keep-alive carries no id (in its SSE frame or its data): an event can land in this subscriber's queue
            // between its wait and the id being read, and a client that reconnected with the keep-alive's id would miss it.
            return TypedResults.ServerSentEvents(
                ReadAsync(hub, filter, lastEventId, context.RequestAborted).Select(e => new SseItem<EventMessage>(e, e.Type) { EventId = e.Id }));
        }

        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        await SendAsync(socket, ReadAsync(hub, filter, lastEventId, context.RequestAborted));
        return TypedResults.Empty;
    }

    /// <summary>One text message per event; the client's close ends it (WebSocket pings keep the connection alive).</summary>
    private static async Task SendAsync(WebSocket socket, IAsyncEnumerable<EventMessage> events)
    {
        using var closed = new CancellationTokenSource();
        var listening = Task.Run(async () =>
        {
            var buffer = new byte[256];
            try
            {
                while ((await socket.ReceiveAsync(buffer, CancellationToken.None)).MessageType != WebSocketMessageType.Close)
                {
                }
            }
            catch (WebSocketException)
            {
            }
            finally
            {
                await closed.CancelAsync();
            }
        });

        try
        {
            await foreach (var e in events.WithCancellation(closed.Token))
            {
                if (e.Type != ClusterEventTypes.KeepAlive)
                {
                    await socket.SendAsync(JsonSerializer.SerializeToUtf8Bytes(e, Json), WebSocketMessageType.Text, endOfMessage: true, closed.Token);
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException)
        {
            // The client closed or went away.
        }

        if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
        {
            await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
        }

        await listening;
    }

    private static async IAsyncEnumerable<EventMessage> ReadAsync(
        EventHub hub, EventFilter filter, string? lastEventId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var (channel, reset) = hub.Subscribe(lastEventId);
        try
        {
            if (reset)
            {
                yield return EventMessage.Signal(hub.CurrentId, ClusterEventTypes.Reset, DateTimeOffset.UtcNow);
            }
            else
            {
                // Something at once, so the response's headers go out now: a client (EventSource's open) learns the
                // stream is up without waiting for the first event or keep-alive.
                yield return EventMessage.Signal(null, ClusterEventTypes.KeepAlive, DateTimeOffset.UtcNow);
            }

            while (true)
            {
                NumberedEvent? next = null;
                using (var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
                {
                    wait.CancelAfter(KeepAlive);
                    try
                    {
                        if (!await channel.Reader.WaitToReadAsync(wait.Token))
                        {
                            yield break; // Cut off for falling behind: the client reconnects with its last id.
                        }

                        channel.Reader.TryRead(out next);
                    }
                    catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                    {
                    }
                }

                if (next is null)
                {
                    yield return EventMessage.Signal(null, ClusterEventTypes.KeepAlive, DateTimeOffset.UtcNow);
                    continue;
                }

                if (filter.Matches(next.Event))
                {
                    Delivered.Add(1, new KeyValuePair<string, object?>(SandboxGrainsTelemetry.EventType, next.Event.Type));
                    yield return EventMessage.Of(hub.IdOf(next.Number), next.Event);
                }
            }
        }
        finally
        {
            hub.Unsubscribe(channel);
        }
    }

    /// <summary>What a subscriber asked to see.</summary>
    private sealed record EventFilter(string? Type, string? SandboxId, IReadOnlyDictionary<string, string> Labels)
    {
        public bool Matches(ClusterEvent e) =>
            (Type is null || e.Type == Type || (Type.EndsWith('.') && e.Type.StartsWith(Type, StringComparison.Ordinal)))
            && (SandboxId is null || e.SandboxId == SandboxId)
            && Labels.All(l => e.Sandbox?.Labels.TryGetValue(l.Key, out var value) == true && value == l.Value);
    }
}
