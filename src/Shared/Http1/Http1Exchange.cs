using System.Net.Sockets;

namespace SandboxGrains.Http.Http1;

/// <summary>The start of every exchange: a connection (kept-alive or new), the request head, the body under way, the answer's head.</summary>
internal static class Http1Exchange
{
    /// <summary>
    /// Sends <paramref name="head"/> to <paramref name="host"/>:<paramref name="port"/> (<paramref name="endpoint"/>: the
    /// two as one <c>host:port</c> string), straight or through <paramref name="tunnel"/>, starts sending
    /// <paramref name="body"/> (if any) in the background, and returns once the answer's head is in. A request without a
    /// body goes again on a new connection when a kept-alive one turns out to have been closed by the server; one with a
    /// body cannot, because the body is read from the caller only once. Failures are <see cref="HttpRequestException"/>s.
    /// </summary>
    public static async Task<(Http1Connection Connection, Http1ResponseHead Head)> StartAsync(
        Http1ConnectionPool pool, string endpoint, string host, int port, Http1Tunnel? tunnel, ReadOnlyMemory<byte> head, HttpContent? body,
        long? bodyLength, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var connection = await pool.RentAsync(endpoint, host, port, tunnel, cancellationToken).ConfigureAwait(false);
            var mayRetry = connection.Reused && body is null && attempt == 0;
            try
            {
                await connection.WriteAsync(head, cancellationToken).ConfigureAwait(false);
                if (body is not null)
                {
                    connection.StartSendingBody(body, bodyLength, cancellationToken);
                }

                if (await connection.ReadResponseHeadAsync(cancellationToken).ConfigureAwait(false) is { } response)
                {
                    return (connection, response);
                }

                connection.Abort();
                if (!mayRetry)
                {
                    throw new HttpRequestException(HttpRequestError.ResponseEnded, "the server closed the connection without answering");
                }
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
}
