using System.Buffers;
using Microsoft.Extensions.Primitives;
using SandboxGrains.Http.Http1;

namespace SandboxGrains.Silo.Forwarding;

/// <summary>
/// How <see cref="SandboxForwarder"/> sends a request with no body and no upgrade — a page, an asset, an API read: most
/// of what a preview carries: the head written from the caller's request and <see cref="HeaderPolicy"/>, the answer
/// copied straight from the socket into Kestrel's response, over the same connections as the YARP lane. YARP's
/// <c>HttpRequestMessage</c>/<c>HttpResponseMessage</c> layer (every header copied in and out of both) was a fifth of a
/// preview request's CPU here (docs/benchmarks.md); bodies and upgrades stay with YARP, whose streaming and upgrade
/// handling this does not repeat.
/// </summary>
internal sealed class BodilessExchange(Http1ConnectionPool pool)
{
    /// <summary>Longest silence from the app while it answers, as for YARP's lane.</summary>
    public static readonly TimeSpan ActivityTimeout = TimeSpan.FromMinutes(15);

    /// <summary>True for requests sent this way: no body (so one can be sent again on a fresh connection) and no upgrade.</summary>
    public static bool Takes(HttpRequest request) =>
        request.ContentLength is null or 0
        && StringValues.IsNullOrEmpty(request.Headers.TransferEncoding)
        && StringValues.IsNullOrEmpty(request.Headers.Upgrade)
        && !HttpMethods.IsConnect(request.Method);

    /// <summary>Sends the request; null once the answer was passed on (or cut after it started), else why it was not.</summary>
    public async Task<(Exception? Failure, DaemonRefusal? Refusal)?> SendAsync(HttpContext context, ForwardTarget target)
    {
        var request = context.Request;
        var colon = target.Address.LastIndexOf(':');
        using var head = new Http1RequestHead(request.Method, target.PathAndQuery, target.Headers.Host ?? target.Address);
        using var activity = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        activity.CancelAfter(ActivityTimeout);

        Http1Connection connection;
        Http1ResponseHead answer;
        try
        {
            target.Headers.AddTo(head, request, target.DaemonSecret);
            (connection, answer) = await Http1Exchange.StartAsync(
                pool, target.Address, target.Address[..colon], int.Parse(target.Address.AsSpan(colon + 1), provider: null), target.Via, head.Finish(), null, null,
                activity.Token);
        }
        catch (Exception e) when (e is HttpRequestException || (e is OperationCanceledException && !context.RequestAborted.IsCancellationRequested))
        {
            return (e is OperationCanceledException ? new TimeoutException($"no answer within {ActivityTimeout.TotalMinutes:0} minutes") : e, null);
        }

        var isHead = HttpMethods.IsHead(request.Method);
        var framing = answer.Framing(isHead);
        await using var body = new Http1ResponseBody(connection, framing, answer.ContentLength ?? 0, answer.KeepAlive);
        if (target.MayBeRefusedByDaemon && answer.Headers.Find(h => h.Key.Equals(DaemonProtocol.ErrorHeader, StringComparison.OrdinalIgnoreCase)) is { Key: not null } code)
        {
            return (null, await DaemonRefusal.ReadAsync(code.Value, body, activity.Token));
        }

        var response = context.Response;
        try
        {
            response.StatusCode = answer.Status;
            foreach (var (name, value) in answer.Headers)
            {
                if (!IsOfThisHop(name))
                {
                    response.Headers.Append(name, value);
                }
            }

            // A length passes on as it is (for HEAD too, where it describes the body a GET would get); other framings are Kestrel's.
            response.ContentLength = isHead || framing == Http1Framing.Length ? answer.ContentLength : null;
            await CopyAsync(body, response, activity);
            return null;
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or InvalidOperationException)
        {
            // InvalidOperationException: Kestrel refused one of the app's headers (a control character in its value).
            body.Abandon();
            if (!response.HasStarted && !context.RequestAborted.IsCancellationRequested)
            {
                response.Clear();
                return (e, null);
            }

            // The answer started and broke off (or the caller left): there is no clean way to tell the caller but to cut it.
            context.Abort();
            return null;
        }
    }

    /// <summary>Copies the body as it comes; each piece that arrives gives the app another <see cref="ActivityTimeout"/>.</summary>
    private static async Task CopyAsync(Stream body, HttpResponse response, CancellationTokenSource activity)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            int read;
            while ((read = await body.ReadAsync(buffer, activity.Token)) > 0)
            {
                await response.Body.WriteAsync(buffer.AsMemory(0, read), activity.Token);
                activity.CancelAfter(ActivityTimeout);
            }

            await response.StartAsync(activity.Token);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Answer headers of one hop, and the framing Kestrel sets itself.</summary>
    private static bool IsOfThisHop(string name) =>
        name.Equals("Connection", StringComparison.OrdinalIgnoreCase)
        || name.Equals("Keep-Alive", StringComparison.OrdinalIgnoreCase)
        || name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase)
        || name.Equals("Proxy-Connection", StringComparison.OrdinalIgnoreCase)
        || name.Equals("Upgrade", StringComparison.OrdinalIgnoreCase)
        || name.Equals("Trailer", StringComparison.OrdinalIgnoreCase)
        || name.Equals("TE", StringComparison.OrdinalIgnoreCase)
        || name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase);
}
