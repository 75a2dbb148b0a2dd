namespace SandboxGrains.Http.Http1;

/// <summary>
/// The HTTP/1.1 client under every forward to a sandbox (silo → app, silo → daemon, daemon → app): the request body is
/// sent while the answer is read, so an app that answers as the body arrives (an echo, a streaming transform, an upload
/// that rejects early) gets its answer through.
/// </summary>
/// <remarks>
/// Why our own and not <see cref="SocketsHttpHandler"/>: on HTTP/1.1 it sends the whole request body before it reads any
/// of the answer (dotnet/runtime, <c>HttpConnection.SendAsync</c>: "we prefer to serialize the sending of the content
/// before we try to receive any response"; with <c>Expect: 100-continue</c> it still waits for the body once the final
/// status line is in). An echo of a body larger than the socket buffers then deadlocks: the app blocks writing an answer
/// nobody reads and stops reading the body. Sandboxed apps and the daemon speak HTTP/1.1, so HTTP/2's duplex streams are
/// no way out. This handler does one thing: one request per connection at a time, kept-alive connections per endpoint,
/// every HTTP/1.1 framing both ways, upgrades (WebSocket) as a raw duplex stream. YARP's <c>IHttpForwarder</c> drives it
/// through an <see cref="HttpMessageInvoker"/> like any handler.
/// </remarks>
internal sealed class DuplexHttp1Handler(Http1ConnectionPool pool, bool ownsPool) : HttpMessageHandler
{
    /// <summary>A handler with a pool of its own.</summary>
    public DuplexHttp1Handler()
        : this(new Http1ConnectionPool(TimeProvider.System), ownsPool: true)
    {
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var uri = request.RequestUri;
        if (uri is null || !uri.IsAbsoluteUri || uri.Scheme != Uri.UriSchemeHttp)
        {
            throw new HttpRequestException(HttpRequestError.Unknown, $"only absolute http:// addresses are supported, not '{uri}'");
        }

        using var head = Http1RequestHead.For(request, out var bodyLength);
        request.Options.TryGetValue(Http1Tunnel.RequestOption, out var tunnel);
        var (connection, response) = await Http1Exchange.StartAsync(
                pool, uri.Authority, uri.Host, uri.Port, tunnel, head.Finish(), request.Content, bodyLength, cancellationToken)
            .ConfigureAwait(false);
        return connection.CreateResponse(request, response, request.Method == HttpMethod.Head);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && ownsPool)
        {
            pool.Dispose();
        }

        base.Dispose(disposing);
    }
}
