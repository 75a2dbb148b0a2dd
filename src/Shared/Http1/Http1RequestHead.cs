using System.Buffers;
using System.Globalization;
using System.Text;

namespace SandboxGrains.Http.Http1;

/// <summary>
/// A request's line and headers as HTTP/1.1 bytes, written into a pooled buffer (every forwarded request makes one; it
/// must cost no garbage); refuses a name or value that would start a line of its own. Dispose returns the buffer.
/// </summary>
internal sealed class Http1RequestHead : IDisposable
{
    private byte[] _bytes = ArrayPool<byte>.Shared.Rent(1024);
    private int _length;

    /// <summary>Starts a head: <c>{method} {target} HTTP/1.1</c> and <c>Host</c>.</summary>
    public Http1RequestHead(string method, string pathAndQuery, string host)
    {
        Append(method);
        Append(" ");
        Append(pathAndQuery.Length == 0 ? "/" : pathAndQuery);
        Append(" HTTP/1.1\r\n");
        Add("Host", host);
    }

    public void Add(string name, string value)
    {
        // A line break in a value would start a header (or a request) of the caller's choosing.
        if (value.AsSpan().IndexOfAny('\r', '\n') >= 0 || name.Length == 0 || name.AsSpan().IndexOfAny("\r\n: ") >= 0)
        {
            throw new HttpRequestException(HttpRequestError.Unknown, $"header '{name}' holds a line break or is not a header name");
        }

        Append(name);
        Append(": ");
        Append(value);
        Append("\r\n");
    }

    /// <summary>The finished head (valid until disposed).</summary>
    public ReadOnlyMemory<byte> Finish()
    {
        Append("\r\n");
        return _bytes.AsMemory(0, _length);
    }

    public void Dispose()
    {
        var bytes = Interlocked.Exchange(ref _bytes, []);
        if (bytes.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(bytes);
        }
    }

    /// <summary>Latin-1 turns every char back into the byte it was read from (Kestrel reads header bytes above ASCII that way).</summary>
    private void Append(string text)
    {
        if (_length + text.Length > _bytes.Length)
        {
            var larger = ArrayPool<byte>.Shared.Rent(Math.Max(_bytes.Length * 2, _length + text.Length));
            _bytes.AsSpan(0, _length).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(_bytes);
            _bytes = larger;
        }

        _length += Encoding.Latin1.GetBytes(text, _bytes.AsSpan(_length));
    }

    /// <summary>
    /// The head of <paramref name="request"/>. <paramref name="bodyLength"/> is the body's declared length, or null when
    /// it goes chunked (a body whose length the caller did not give) or when there is no body.
    /// </summary>
    public static Http1RequestHead For(HttpRequestMessage request, out long? bodyLength)
    {
        var uri = request.RequestUri!;
        var head = new Http1RequestHead(request.Method.Method, uri.PathAndQuery, request.Headers.Host ?? uri.Authority);
        AddAll(head, request.Headers.NonValidated);
        bodyLength = null;
        if (request.Content is { } content)
        {
            AddAll(head, content.Headers.NonValidated);
            bodyLength = content.Headers.ContentLength;
            if (bodyLength is { } length)
            {
                head.Add("Content-Length", length.ToString(CultureInfo.InvariantCulture));
            }
            else
            {
                head.Add("Transfer-Encoding", "chunked");
            }
        }

        return head;
    }

    private static void AddAll(Http1RequestHead head, System.Net.Http.Headers.HttpHeadersNonValidated headers)
    {
        foreach (var (name, values) in headers)
        {
            if (!IsFramedHere(name))
            {
                foreach (var value in values)
                {
                    head.Add(name, value);
                }
            }
        }
    }

    /// <summary>
    /// Headers written from the request itself (<c>Host</c>, the body's framing) or dropped: <c>Expect</c>, because the
    /// body is on its way already and the caller's own server answered the expectation.
    /// </summary>
    private static bool IsFramedHere(string name) =>
        name.Equals("Host", StringComparison.OrdinalIgnoreCase)
        || name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase)
        || name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase)
        || name.Equals("Expect", StringComparison.OrdinalIgnoreCase);
}
