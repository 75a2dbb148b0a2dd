using System.Net;
using System.Net.Sockets;

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
internal sealed class DuplexHttp1Handler(Http1ConnectionPool pool) : HttpMessageHandler
{
    /// <summary>A handler with its own pool of connections.</summary>
    public DuplexHttp1Handler()
        : this(new Http1ConnectionPool(TimeProvider.System))
    {
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var uri = request.RequestUri;
        if (uri is null || !uri.IsAbsoluteUri || uri.Scheme != Uri.UriSchemeHttp)
        {
            throw new HttpRequestException(HttpRequestError.Unknown, $"only absolute http:// addresses are supported, not '{uri}'");
        }

        var head = Http1RequestHead.Encode(request, out var bodyLength);
        var content = request.Content;
        var isHead = request.Method == HttpMethod.Head;

        // A request without a body can go again on a fresh connection when a kept-alive one turns out to be closed; one
        // with a body cannot, because the body is read from the caller only once.
        for (var attempt = 0; ; attempt++)
        {
            var connection = await pool.RentAsync(uri.Host, uri.Port, cancellationToken).ConfigureAwait(false);
            var mayRetry = connection.Reused && content is null && attempt == 0;
            try
            {
                await connection.WriteAsync(head, cancellationToken).ConfigureAwait(false);
                if (content is not null)
                {
                    connection.StartSendingBody(content, bodyLength, cancellationToken);
                }

                var response = await connection.ReadResponseHeadAsync(cancellationToken).ConfigureAwait(false);
                if (response is null)
                {
                    connection.Abort();
                    if (mayRetry)
                    {
                        continue;
                    }

                    throw new HttpRequestException(HttpRequestError.ResponseEnded, "the server closed the connection without answering");
                }

                return connection.CreateResponse(request, response, isHead);
            }
            catch (Exception e) when (e is IOException or SocketException && mayRetry)
            {
                connection.Abort();
            }
            catch (Exception e) when (e is IOException or SocketException)
            {
                connection.Abort();
                throw new HttpRequestException(HttpRequestError.ResponseEnded, $"the connection broke before an answer: {e.Message}", e);
            }
            catch
            {
                connection.Abort();
                throw;
            }
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            pool.Dispose();
        }

        base.Dispose(disposing);
    }
}
