using System.Globalization;
using System.Threading.Channels;
using SandboxGrains.Events;

namespace SandboxGrains.Silo.Events;

/// <summary>
/// This silo's side of the event stream: every event the cluster raises arrives here once (through
/// <see cref="ClusterEventService"/>), gets an id of this silo's, is kept in a bounded buffer for subscribers that come
/// back, and is handed to each subscriber now. Ids carry this process's start, so an id from another silo or an earlier
/// process is recognised as unknown and answered with a <see cref="ClusterEventTypes.Reset"/>.
/// </summary>
internal sealed class EventHub(TimeProvider time)
{
    /// <summary>How many events are kept for subscribers that reconnect, and for how long.</summary>
    internal const int BufferSize = 10_000;

    internal static readonly TimeSpan BufferAge = TimeSpan.FromMinutes(5);

    /// <summary>How far one subscriber may fall behind before it is cut off (it reconnects with its last id).</summary>
    private const int SubscriberBacklog = 1_000;

    private readonly string _epoch = time.GetUtcNow().ToUnixTimeMilliseconds().ToString("x", CultureInfo.InvariantCulture);
    private readonly Lock _lock = new();
    private readonly LinkedList<NumberedEvent> _buffer = new();
    private readonly HashSet<Channel<NumberedEvent>> _subscribers = [];
    private long _last;

    public void Publish(ClusterEvent clusterEvent)
    {
        lock (_lock)
        {
            var numbered = new NumberedEvent(++_last, clusterEvent);
            _buffer.AddLast(numbered);
            var oldest = time.GetUtcNow() - BufferAge;
            while (_buffer.Count > BufferSize || _buffer.First!.Value.Event.Time < oldest && _buffer.Count > 1)
            {
                _buffer.RemoveFirst();
            }

            foreach (var subscriber in _subscribers)
            {
                if (!subscriber.Writer.TryWrite(numbered))
                {
                    // Too far behind: it ends, and its client comes back with the last id it saw.
                    subscriber.Writer.TryComplete();
                }
            }
        }
    }

    /// <summary>
    /// A new subscriber: what it missed since <paramref name="lastEventId"/> (or a reset when that is not in the buffer),
    /// then every new event, until <see cref="Unsubscribe"/>.
    /// </summary>
    public (Channel<NumberedEvent> Channel, bool Reset) Subscribe(string? lastEventId)
    {
        var channel = Channel.CreateBounded<NumberedEvent>(new BoundedChannelOptions(SubscriberBacklog + BufferSize) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
        lock (_lock)
        {
            var reset = false;
            if (lastEventId is not null)
            {
                if (ParseId(lastEventId) is { } after && (after == _last || _buffer.First is { } first && after >= first.Value.Number - 1 && after <= _last))
                {
                    foreach (var missed in _buffer.Where(e => e.Number > after))
                    {
                        channel.Writer.TryWrite(missed);
                    }
                }
                else
                {
                    reset = true;
                }
            }

            _subscribers.Add(channel);
            return (channel, reset);
        }
    }

    public void Unsubscribe(Channel<NumberedEvent> channel)
    {
        lock (_lock)
        {
            _subscribers.Remove(channel);
        }
    }

    /// <summary>The id subscribers see for an event of this silo.</summary>
    public string IdOf(long number) => $"{_epoch}-{number.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>The id the stream is at now (what a reset tells a subscriber to carry on from).</summary>
    public string CurrentId
    {
        get
        {
            lock (_lock)
            {
                return IdOf(_last);
            }
        }
    }

    private long? ParseId(string id)
    {
        var dash = id.LastIndexOf('-');
        return dash > 0 && id[..dash] == _epoch && long.TryParse(id[(dash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var number) ? number : null;
    }
}

/// <summary>An event with its number on this silo.</summary>
internal sealed record NumberedEvent(long Number, ClusterEvent Event);
