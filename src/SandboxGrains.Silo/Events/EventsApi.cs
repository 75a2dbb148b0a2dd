using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using SandboxGrains.Events;

namespace SandboxGrains.Silo.Events;

/// <summary>
/// <c>GET /api/v1/events</c>: the cluster's events as Server-Sent Events, from this silo's <see cref="EventHub"/> (every
/// silo gets every event). Filters: <c>type</c> (a type, or a prefix ending in '.'), <c>sandboxId</c>, <c>label=k=v</c>
/// (repeatable, all must match). A client that reconnects with <c>Last-Event-ID</c> gets what it missed from this silo's
/// buffer, or a <c>reset</c> event when that is gone (re-list, then carry on).
/// </summary>
internal static class EventsApi
{
    /// <summary>A comment-free keep-alive: proxies and load balancers drop connections that stay silent.</summary>
    internal static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(15);

    public static RouteGroupBuilder MapEventsApi(this RouteGroupBuilder api)
    {
        api.MapGet("/events", Stream).WithName("StreamEvents");
        return api;
    }

    private static IResult Stream(HttpContext context, EventHub hub, string? type, string? sandboxId, string[]? label)
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
        return TypedResults.ServerSentEvents(ReadAsync(hub, filter, lastEventId, context.RequestAborted));
    }

    private static async IAsyncEnumerable<SseItem<EventDto>> ReadAsync(
        EventHub hub, EventFilter filter, string? lastEventId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var (channel, reset) = hub.Subscribe(lastEventId);
        try
        {
            if (reset)
            {
                yield return new SseItem<EventDto>(new EventDto(hub.CurrentId, ClusterEventTypes.Reset, DateTimeOffset.UtcNow, null, null, null, null, null), ClusterEventTypes.Reset)
                {
                    EventId = hub.CurrentId,
                };
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
                    yield return new SseItem<EventDto>(new EventDto(hub.CurrentId, "keepalive", DateTimeOffset.UtcNow, null, null, null, null, null), "keepalive");
                    continue;
                }

                if (filter.Matches(next.Event))
                {
                    var id = hub.IdOf(next.Number);
                    yield return new SseItem<EventDto>(EventDto.Of(id, next.Event), next.Event.Type) { EventId = id };
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

    /// <summary>An event on the wire: its id on this silo, type, time, the sandbox (as the API shows it) and the change.</summary>
    internal sealed record EventDto(string Id, string Type, DateTimeOffset Time, string? SandboxId, Sandbox? Sandbox, string? From, string? To, string? Reason)
    {
        public static EventDto Of(string id, ClusterEvent e) => new(
            id, e.Type, e.Time, e.SandboxId, e.Sandbox is { } info ? Sandbox.From(info) : null,
            e.From?.ToString().ToLowerInvariant(), e.To?.ToString().ToLowerInvariant(), e.Reason);
    }
}
