using System.Net;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Text.Json;

namespace SandboxGrains.EndToEnd.Tests;

/// <summary>A minimal Server-Sent Events reader: fields until a blank line make an event.</summary>
internal sealed class ServerSentEvents : IDisposable
{
    private readonly HttpResponseMessage _response;
    private readonly StreamReader _reader;

    private ServerSentEvents(HttpResponseMessage response, StreamReader reader) => (_response, _reader) = (response, reader);

    /// <summary>
    /// Where a silo's stream is now (an unknown id gets a reset carrying it). Subscribing from there replays whatever is
    /// raised before the subscription is in place, so a test does not depend on how fast a stream opens.
    /// </summary>
    public static async Task<string> CurrentIdAsync(HttpClient http)
    {
        using var probe = await OpenAsync(http, "/api/v1/events", lastEventId: "0-0");
        return (await probe.ReadUntilAsync(_ => true, TimeSpan.FromSeconds(10)))[0].Id;
    }

    public static async Task<ServerSentEvents> OpenAsync(HttpClient http, string path, string? lastEventId)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        if (lastEventId is not null)
        {
            request.Headers.Add("Last-Event-ID", lastEventId);
        }

        var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        return new ServerSentEvents(response, new StreamReader(await response.Content.ReadAsStreamAsync(TestContext.Current.CancellationToken)));
    }

    /// <summary>Events (keep-alives left out) until one matches <paramref name="last"/>, which is included.</summary>
    public async Task<List<Event>> ReadUntilAsync(Func<Event, bool> last, TimeSpan deadline)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(deadline);
        var events = new List<Event>();
        string? id = null, type = null, data = null;
        while (await _reader.ReadLineAsync(timeout.Token) is { } line)
        {
            if (line.Length == 0)
            {
                if (type is not null && type != "keepalive")
                {
                    var parsed = new Event(id ?? "", type, JsonDocument.Parse(data ?? "{}").RootElement.Clone());
                    events.Add(parsed);
                    if (last(parsed))
                    {
                        return events;
                    }
                }

                (id, type, data) = (null, null, null);
            }
            else if (line.StartsWith("id: ", StringComparison.Ordinal))
            {
                id = line[4..];
            }
            else if (line.StartsWith("event: ", StringComparison.Ordinal))
            {
                type = line[7..];
            }
            else if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                data = line[6..];
            }
        }

        throw new InvalidOperationException($"the stream ended after {events.Count} events");
    }

    public void Dispose()
    {
        _reader.Dispose();
        _response.Dispose();
    }

    public sealed record Event(string Id, string Type, JsonElement Data);
}

/// <summary>The same events over the event stream's WebSocket: one JSON text message per event.</summary>
internal sealed class EventSocket : IDisposable
{
    private readonly ClientWebSocket _socket = new();

    public static async Task<EventSocket> OpenAsync(SiloProcess silo, string pathAndQuery)
    {
        var events = new EventSocket();
        events._socket.Options.SetRequestHeader("Authorization", $"Bearer {silo.ApiKey}");
        await events._socket.ConnectAsync(new Uri($"ws://127.0.0.1:{silo.HttpPort}{pathAndQuery}"), TestContext.Current.CancellationToken);
        return events;
    }

    /// <summary>Events until one matches <paramref name="last"/>, which is included.</summary>
    public async Task<List<ServerSentEvents.Event>> ReadUntilAsync(Func<ServerSentEvents.Event, bool> last, TimeSpan deadline)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(deadline);
        var events = new List<ServerSentEvents.Event>();
        var buffer = new byte[64 * 1024];
        while (true)
        {
            using var message = new MemoryStream();
            WebSocketReceiveResult received;
            do
            {
                received = await _socket.ReceiveAsync(buffer, timeout.Token);
                message.Write(buffer, 0, received.Count);
            }
            while (!received.EndOfMessage);

            if (received.MessageType == WebSocketMessageType.Close)
            {
                throw new InvalidOperationException($"the socket closed after {events.Count} events");
            }

            var data = JsonDocument.Parse(message.ToArray()).RootElement.Clone();
            var parsed = new ServerSentEvents.Event(data.GetProperty("id").GetString()!, data.GetProperty("type").GetString()!, data);
            events.Add(parsed);
            if (last(parsed))
            {
                return events;
            }
        }
    }

    public void Dispose() => _socket.Dispose();
}
