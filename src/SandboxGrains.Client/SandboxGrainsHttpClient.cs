using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text.Json;
using SandboxGrains.Events;

using SandboxGrains.Previews;
using SandboxGrains.Sandboxes;
using SandboxGrains.WarmPools;

namespace SandboxGrains.Client;

/// <summary>Typed HTTP client over the v1 API and the toolbox route, for backends anywhere.</summary>
public sealed class SandboxGrainsHttpClient(HttpClient http) : ISandboxGrainsClient
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Creates a client for <paramref name="baseAddress"/> that sends <paramref name="apiKey"/> as a bearer token.</summary>
    public static SandboxGrainsHttpClient Create(Uri baseAddress, string apiKey)
    {
        // Creating a sandbox can take a while: a busy host, or an image to pull first (Registries:PullTimeout, 10 min by
        // default). The server bounds every step itself; this only keeps a lost connection from hanging forever.
        var http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromMinutes(15) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        return new SandboxGrainsHttpClient(http);
    }

    /// <summary>The cluster's runners, as <c>GET /api/v1/runners</c> returns them.</summary>
    public async Task<IReadOnlyList<RunnerSummary>> ListRunnersAsync(CancellationToken cancellationToken = default) =>
        (await SendAsync<ItemList<RunnerSummary>>(HttpMethod.Get, "/api/v1/runners", null, cancellationToken).ConfigureAwait(false)).Items;

    public Task<Sandbox> CreateSandboxAsync(CreateSandboxRequest request, CancellationToken cancellationToken = default) =>
        SendAsync<Sandbox>(HttpMethod.Post, "/api/v1/sandboxes", JsonContent.Create(request, options: Json), cancellationToken);

    public Task<Sandbox> GetSandboxAsync(string id, CancellationToken cancellationToken = default) =>
        SendAsync<Sandbox>(HttpMethod.Get, $"/api/v1/sandboxes/{Escape(id)}", null, cancellationToken);

    public async Task<IReadOnlyList<Sandbox>> ListSandboxesAsync(
        IReadOnlyDictionary<string, string>? labels = null, CancellationToken cancellationToken = default)
    {
        var filter = string.Concat((labels ?? new Dictionary<string, string>()).Select(l => $"&label={Escape($"{l.Key}={l.Value}")}"));
        var all = new List<Sandbox>();
        string? cursor = null;
        do
        {
            var page = await SendAsync<SandboxPage>(
                HttpMethod.Get, $"/api/v1/sandboxes?limit=500{filter}{(cursor is null ? "" : "&cursor=" + Escape(cursor))}", null, cancellationToken).ConfigureAwait(false);
            all.AddRange(page.Items);
            cursor = page.NextCursor;
        }
        while (cursor is not null);
        return all;
    }

    public Task<Sandbox> UpdateSandboxAsync(string id, SandboxUpdate update, CancellationToken cancellationToken = default)
    {
        // Only what the update sets goes on the wire; an explicit null means "never" for the two policies that allow it.
        var body = new Dictionary<string, object?>();
        if (update.AutoStopMinutes is { } stop)
        {
            body["autoStopMinutes"] = stop;
        }

        if (update.AutoArchiveMinutes is { } archive)
        {
            body["autoArchiveMinutes"] = archive;
        }

        if (update.SetAutoDeleteMinutes)
        {
            body["autoDeleteMinutes"] = update.AutoDeleteMinutes;
        }

        if (update.SetTtlMinutes)
        {
            body["ttlMinutes"] = update.TtlMinutes;
        }

        if (update.Labels is { } labels)
        {
            body["labels"] = labels;
        }

        return SendAsync<Sandbox>(HttpMethod.Patch, $"/api/v1/sandboxes/{Escape(id)}", JsonContent.Create(body, options: Json), cancellationToken);
    }

    public async Task KeepAliveAsync(string id, CancellationToken cancellationToken = default)
    {
        using var response = await SendRawAsync(HttpMethod.Post, $"/api/v1/sandboxes/{Escape(id)}/keepalive", null, cancellationToken).ConfigureAwait(false);
    }

    public Task<Sandbox> StopSandboxAsync(string id, CancellationToken cancellationToken = default) =>
        SendAsync<Sandbox>(HttpMethod.Post, $"/api/v1/sandboxes/{Escape(id)}/stop", null, cancellationToken);

    public Task<Sandbox> StartSandboxAsync(string id, CancellationToken cancellationToken = default) =>
        SendAsync<Sandbox>(HttpMethod.Post, $"/api/v1/sandboxes/{Escape(id)}/start", null, cancellationToken);

    /// <summary>Archives a stopped sandbox (container committed to an image on its runner and removed); start restores it.</summary>
    public Task<Sandbox> ArchiveSandboxAsync(string id, CancellationToken cancellationToken = default) =>
        SendAsync<Sandbox>(HttpMethod.Post, $"/api/v1/sandboxes/{Escape(id)}/archive", null, cancellationToken);

    public async Task DeleteSandboxAsync(string id, bool removeContainer = false, CancellationToken cancellationToken = default)
    {
        using var response = await SendRawAsync(
            HttpMethod.Delete, $"/api/v1/sandboxes/{Escape(id)}{(removeContainer ? "?removeContainer=true" : "")}", null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Makes a warm pool: <c>size</c> started sandboxes of one kind that creates of that kind claim.</summary>
    public Task<WarmPool> CreateWarmPoolAsync(CreateWarmPoolRequest request, CancellationToken cancellationToken = default) =>
        SendAsync<WarmPool>(HttpMethod.Post, "/api/v1/warm-pools", JsonContent.Create(request, options: Json), cancellationToken);

    public Task<IReadOnlyList<WarmPool>> ListWarmPoolsAsync(CancellationToken cancellationToken = default) =>
        SendAsync<IReadOnlyList<WarmPool>>(HttpMethod.Get, "/api/v1/warm-pools", null, cancellationToken);

    public Task<WarmPool> GetWarmPoolAsync(string id, CancellationToken cancellationToken = default) =>
        SendAsync<WarmPool>(HttpMethod.Get, $"/api/v1/warm-pools/{Escape(id)}", null, cancellationToken);

    public Task<WarmPool> ResizeWarmPoolAsync(string id, int size, CancellationToken cancellationToken = default) =>
        SendAsync<WarmPool>(HttpMethod.Patch, $"/api/v1/warm-pools/{Escape(id)}", JsonContent.Create(new UpdateWarmPoolRequest { Size = size }, options: Json), cancellationToken);

    /// <summary>Deletes the pool and its unclaimed sandboxes; claimed ones are the callers' and stay.</summary>
    public async Task DeleteWarmPoolAsync(string id, CancellationToken cancellationToken = default)
    {
        using var response = await SendRawAsync(HttpMethod.Delete, $"/api/v1/warm-pools/{Escape(id)}", null, cancellationToken).ConfigureAwait(false);
    }

    public Task<Sandbox> AdoptSandboxAsync(string container, string? injection = null, CancellationToken cancellationToken = default) =>
        SendAsync<Sandbox>(HttpMethod.Post, "/api/v1/sandboxes/adopt", JsonContent.Create(new { container, injection }, options: Json), cancellationToken);

    public Task<ExecuteResult> ExecuteAsync(
        string id, string command, string? cwd = null, int? timeoutSeconds = null, CancellationToken cancellationToken = default) =>
        SendAsync<ExecuteResult>(
            HttpMethod.Post,
            $"/toolbox/{Escape(id)}/process/execute",
            JsonContent.Create(new { command, cwd, timeout = timeoutSeconds }, options: Json),
            cancellationToken);

    public async Task UploadFileAsync(string id, string path, Stream content, CancellationToken cancellationToken = default)
    {
        using var body = new StreamContent(content);
        using var response = await SendRawAsync(
            HttpMethod.Post, $"/toolbox/{Escape(id)}/files/upload?path={Escape(path)}", body, cancellationToken).ConfigureAwait(false);
    }

    public async Task<Stream> DownloadFileAsync(string id, string path, CancellationToken cancellationToken = default)
    {
        var response = await SendRawAsync(
            HttpMethod.Get, $"/toolbox/{Escape(id)}/files/download?path={Escape(path)}", null, cancellationToken, streamBody: true).ConfigureAwait(false);
        return new ResponseStream(await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false), response);
    }

    public Task<Preview> CreatePreviewAsync(string id, int port, TimeSpan? expiresIn = null, CancellationToken cancellationToken = default) =>
        SendAsync<Preview>(
            HttpMethod.Post,
            $"/api/v1/sandboxes/{Escape(id)}/previews",
            JsonContent.Create(new CreatePreviewRequest { Port = port, ExpiresInSeconds = (long?)expiresIn?.TotalSeconds }, options: Json),
            cancellationToken);

    public async Task<IReadOnlyList<Preview>> ListPreviewsAsync(string id, CancellationToken cancellationToken = default) =>
        (await SendAsync<PreviewList>(HttpMethod.Get, $"/api/v1/sandboxes/{Escape(id)}/previews", null, cancellationToken).ConfigureAwait(false)).Items;

    public async Task RevokePreviewAsync(string token, CancellationToken cancellationToken = default)
    {
        using var response = await SendRawAsync(HttpMethod.Delete, $"/api/v1/previews/{Escape(token)}", null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Follows the cluster's events (<c>GET /api/v1/events</c>, Server-Sent Events) until cancelled. A connection that
    /// ends or breaks is opened again from the last event seen, after a second; when the silo no longer has what was
    /// missed, an event of type <see cref="ClusterEventTypes.Reset"/> says to list again. Filters as the API's:
    /// <paramref name="type"/> (a type, or a prefix ending in '.'), <paramref name="sandboxId"/>, <paramref name="labels"/>.
    /// </summary>
    public async IAsyncEnumerable<EventMessage> WatchEventsAsync(
        string? type = null,
        string? sandboxId = null,
        IReadOnlyDictionary<string, string>? labels = null,
        string? lastEventId = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var query = string.Concat(
            type is null ? "" : $"&type={Escape(type)}",
            sandboxId is null ? "" : $"&sandboxId={Escape(sandboxId)}",
            string.Concat((labels ?? new Dictionary<string, string>()).Select(l => $"&label={Escape($"{l.Key}={l.Value}")}")));
        var path = "/api/v1/events" + (query.Length == 0 ? "" : "?" + query[1..]);
        while (true)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(path, UriKind.Relative));
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
            if (lastEventId is not null)
            {
                request.Headers.Add("Last-Event-ID", lastEventId);
            }

            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                var (code, detail) = ReadProblem(await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false));
                throw new SandboxGrainsException((int)response.StatusCode, code, $"GET {path} answered {(int)response.StatusCode} {code}: {detail}");
            }

            var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            await using var events = SseParser.Create(stream).EnumerateAsync(cancellationToken).GetAsyncEnumerator(cancellationToken);
            while (await NextOrEndAsync(events).ConfigureAwait(false) is { } item)
            {
                if (item.EventType == ClusterEventTypes.KeepAlive || JsonSerializer.Deserialize<EventMessage>(item.Data, Json) is not { } message)
                {
                    continue;
                }

                lastEventId = message.Id;
                yield return message;
            }

            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The next event, or null when the connection ended or broke (the caller opens it again).</summary>
    private static async Task<SseItem<string>?> NextOrEndAsync(IAsyncEnumerator<SseItem<string>> events)
    {
        try
        {
            return await events.MoveNextAsync().ConfigureAwait(false) ? events.Current : null;
        }
        catch (Exception e) when (e is IOException or HttpRequestException)
        {
            return null;
        }
    }

    private async Task<T> SendAsync<T>(HttpMethod method, string path, HttpContent? body, CancellationToken cancellationToken)
    {
        using var response = await SendRawAsync(method, path, body, cancellationToken).ConfigureAwait(false);
        return await response.Content.ReadFromJsonAsync<T>(Json, cancellationToken).ConfigureAwait(false)
            ?? throw new SandboxGrainsException((int)response.StatusCode, "empty_answer", $"{method} {path} answered with no body");
    }

    /// <summary>Sends a request and turns any error answer into a <see cref="SandboxGrainsException"/> carrying its code.</summary>
    private async Task<HttpResponseMessage> SendRawAsync(
        HttpMethod method, string path, HttpContent? body, CancellationToken cancellationToken, bool streamBody = false)
    {
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative)) { Content = body };
        var response = await http.SendAsync(
            request, streamBody ? HttpCompletionOption.ResponseHeadersRead : HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
        if (response.IsSuccessStatusCode)
        {
            return response;
        }

        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            var (code, detail) = ReadProblem(text);
            throw new SandboxGrainsException((int)response.StatusCode, code, $"{method} {path} answered {(int)response.StatusCode} {code}: {detail}");
        }
    }

    /// <summary>The <c>code</c> and <c>detail</c> of a problem answer (the daemon's <c>code</c>/<c>message</c> too).</summary>
    private static (string Code, string Detail) ReadProblem(string text)
    {
        try
        {
            using var json = JsonDocument.Parse(text);
            var root = json.RootElement;
            var code = root.TryGetProperty("code", out var c) ? c.GetString() : null;
            var detail = root.TryGetProperty("detail", out var d) ? d.GetString()
                : root.TryGetProperty("message", out var m) ? m.GetString() : null;
            return (code ?? "error", detail ?? text);
        }
        catch (JsonException)
        {
            return ("error", text);
        }
    }

    private static string Escape(string value) => Uri.EscapeDataString(value);

    private sealed record ItemList<T>(IReadOnlyList<T> Items);


    /// <summary>A response body that disposes its response with it.</summary>
    private sealed class ResponseStream(Stream inner, HttpResponseMessage response) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => inner.ReadAsync(buffer, cancellationToken);
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => inner.ReadAsync(buffer, offset, count, cancellationToken);
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
                response.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
