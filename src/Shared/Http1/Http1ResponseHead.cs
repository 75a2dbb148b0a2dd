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
        var lines = text.Split("\r\n");
        var status = lines[0].Split(' ', 3);
        if (status.Length < 2 || status[0] is not ("HTTP/1.1" or "HTTP/1.0")
            || status[1].Length != 3 || !int.TryParse(status[1], NumberStyles.None, CultureInfo.InvariantCulture, out var code) || code < 100)
        {
            throw Invalid($"the answer does not start with an HTTP/1.x status line: '{Shorten(lines[0])}'");
        }

        var http10 = status[0] == "HTTP/1.0";
        var headers = new List<KeyValuePair<string, string>>(lines.Length);
        long? contentLength = null;
        var chunked = false;
        var keepAlive = !http10;
        foreach (var line in lines.AsSpan(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0 || char.IsWhiteSpace(line[colon - 1]) || char.IsWhiteSpace(line[0]))
            {
                // Folded lines and spaces before the colon are how responses get split differently by two parsers.
                throw Invalid($"the answer has a malformed header line: '{Shorten(line)}'");
            }

            var name = line[..colon];
            var value = line[(colon + 1)..].Trim(' ', '\t');
            if (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                if (!long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var length) || (contentLength is { } earlier && earlier != length))
                {
                    throw Invalid($"the answer has an invalid Content-Length: '{Shorten(value)}'");
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
                foreach (var option in value.Split(',', StringSplitOptions.TrimEntries))
                {
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

            headers.Add(new(name, value));
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

        return new Http1ResponseHead(code, status.Length > 2 ? status[2] : "", http10 ? System.Net.HttpVersion.Version10 : System.Net.HttpVersion.Version11, headers, contentLength, chunked, keepAlive);
    }

    internal static HttpRequestException Invalid(string message) => new(HttpRequestError.InvalidResponse, message);

    private static string Shorten(string text) => text.Length <= 80 ? text : text[..80] + "…";
}
