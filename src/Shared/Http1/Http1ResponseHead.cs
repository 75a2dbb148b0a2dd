using System.Globalization;

namespace SandboxGrains.Http.Http1;

/// <summary>How an answer's body is delimited on the wire.</summary>
internal enum Http1Framing
{
    /// <summary>No body: HEAD, 204, 304.</summary>
    None,

    /// <summary><c>Content-Length</c> bytes.</summary>
    Length,

    /// <summary><c>Transfer-Encoding: chunked</c>, trailers after the last chunk.</summary>
    Chunked,

    /// <summary>Neither: the body runs until the server closes the connection.</summary>
    UntilClose,
}

/// <summary>An answer's status line and headers as read, and what they say about its body and the connection.</summary>
internal sealed record Http1ResponseHead(
    int Status, string Reason, Version Version, List<KeyValuePair<string, string>> Headers, long? ContentLength, bool Chunked, bool KeepAlive)
{
    /// <summary>Largest head accepted from a server; past it the answer is refused, not buffered.</summary>
    public const int MaxBytes = 64 * 1024;

    /// <summary>How the body of this answer to a request with <paramref name="requestWasHead"/> is delimited.</summary>
    public Http1Framing Framing(bool requestWasHead) =>
        requestWasHead || Status is 204 or 304 || Status is >= 100 and < 200 ? Http1Framing.None
        : Chunked ? Http1Framing.Chunked
        : ContentLength is not null ? Http1Framing.Length
        : Http1Framing.UntilClose;

    /// <summary>Reads a head (without its final blank line); throws <see cref="HttpRequestException"/> for anything that is not HTTP/1.x.</summary>
    public static Http1ResponseHead Parse(string text)
    {
        // Spans over the head's text: every answer is parsed here, and only header names and values become strings.
        var rest = text.AsSpan();
        var statusLine = NextLine(ref rest);
        var http10 = statusLine.StartsWith("HTTP/1.0 ");
        if (!(http10 || statusLine.StartsWith("HTTP/1.1 ")) || statusLine.Length < 12
            || !int.TryParse(statusLine.Slice(9, 3), NumberStyles.None, CultureInfo.InvariantCulture, out var code) || code < 100
            || (statusLine.Length > 12 && statusLine[12] != ' '))
        {
            throw Invalid($"the answer does not start with an HTTP/1.x status line: '{Shorten(statusLine.ToString())}'");
        }

        var headers = new List<KeyValuePair<string, string>>(16);
        long? contentLength = null;
        var chunked = false;
        var keepAlive = !http10;
        while (!rest.IsEmpty)
        {
            var line = NextLine(ref rest);
            var colon = line.IndexOf(':');
            if (colon <= 0 || char.IsWhiteSpace(line[colon - 1]) || char.IsWhiteSpace(line[0]))
            {
                // Folded lines and spaces before the colon are how responses get split differently by two parsers.
                throw Invalid($"the answer has a malformed header line: '{Shorten(line.ToString())}'");
            }

            var name = line[..colon];
            var value = line[(colon + 1)..].Trim(" \t");
            if (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                if (!long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var length) || (contentLength is { } earlier && earlier != length))
                {
                    throw Invalid($"the answer has an invalid Content-Length: '{Shorten(value.ToString())}'");
                }

                contentLength = length;
            }
            else if (name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase))
            {
                // Only chunked as the last coding frames a body; anything else runs until the connection closes.
                chunked = value.TrimEnd().EndsWith("chunked", StringComparison.OrdinalIgnoreCase);
                keepAlive &= chunked;
            }
            else if (name.Equals("Connection", StringComparison.OrdinalIgnoreCase))
            {
                foreach (var range in value.Split(','))
                {
                    var option = value[range].Trim();
                    if (option.Equals("close", StringComparison.OrdinalIgnoreCase))
                    {
                        keepAlive = false;
                    }
                    else if (option.Equals("keep-alive", StringComparison.OrdinalIgnoreCase) && http10)
                    {
                        keepAlive = true;
                    }
                }
            }

            headers.Add(new(name.ToString(), value.ToString()));
        }

        if (chunked)
        {
            // Transfer-Encoding wins over Content-Length (RFC 9112 §6.3), which must then not be passed on.
            contentLength = null;
            headers.RemoveAll(h => h.Key.Equals("Content-Length", StringComparison.OrdinalIgnoreCase));
        }
        else if (contentLength is null && code is not (204 or 304) && code >= 200)
        {
            keepAlive = false;
        }

        var reason = statusLine.Length > 13 ? statusLine[13..].ToString() : "";
        return new Http1ResponseHead(code, reason, http10 ? System.Net.HttpVersion.Version10 : System.Net.HttpVersion.Version11, headers, contentLength, chunked, keepAlive);
    }

    /// <summary>The next CRLF-terminated line of <paramref name="rest"/> (the whole rest when there is no CRLF).</summary>
    private static ReadOnlySpan<char> NextLine(ref ReadOnlySpan<char> rest)
    {
        var end = rest.IndexOf("\r\n");
        var line = end < 0 ? rest : rest[..end];
        rest = end < 0 ? [] : rest[(end + 2)..];
        return line;
    }

    internal static HttpRequestException Invalid(string message) => new(HttpRequestError.InvalidResponse, message);

    private static string Shorten(string text) => text.Length <= 80 ? text : text[..80] + "…";
}
