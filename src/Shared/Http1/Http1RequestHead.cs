using System.Globalization;
using System.Text;

namespace SandboxGrains.Http.Http1;

/// <summary>Writes a request's line and headers as HTTP/1.1 bytes, and decides how its body is framed.</summary>
internal static class Http1RequestHead
{
    /// <summary>
    /// The request head. <paramref name="bodyLength"/> is the body's declared length, or null when it goes chunked (a
    /// body whose length the caller did not give) or when there is no body.
    /// </summary>
    public static byte[] Encode(HttpRequestMessage request, out long? bodyLength)
    {
        var uri = request.RequestUri!;
        var text = new StringBuilder(512)
            .Append(request.Method.Method).Append(' ')
            .Append(uri.PathAndQuery.Length == 0 ? "/" : uri.PathAndQuery)
            .Append(" HTTP/1.1\r\nHost: ")
            .Append(request.Headers.Host ?? uri.Authority)
            .Append("\r\n");

        foreach (var (name, values) in request.Headers.NonValidated)
        {
            if (!IsFramedHere(name))
            {
                AppendHeader(text, name, values);
            }
        }

        bodyLength = null;
        if (request.Content is { } content)
        {
            foreach (var (name, values) in content.Headers.NonValidated)
            {
                if (!IsFramedHere(name))
                {
                    AppendHeader(text, name, values);
                }
            }

            bodyLength = content.Headers.ContentLength;
            text.Append(bodyLength is { } length
                ? string.Create(CultureInfo.InvariantCulture, $"Content-Length: {length}\r\n")
                : "Transfer-Encoding: chunked\r\n");
        }

        // Latin-1 turns every char back into the byte it was read from (Kestrel reads header bytes above ASCII that way).
        return Encoding.Latin1.GetBytes(text.Append("\r\n").ToString());
    }

    /// <summary>
    /// Headers this handler writes itself (<c>Host</c>, the body's framing) or drops: <c>Expect</c>, because the body is
    /// on its way already and the caller's own server answered the expectation.
    /// </summary>
    private static bool IsFramedHere(string name) =>
        name.Equals("Host", StringComparison.OrdinalIgnoreCase)
        || name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase)
        || name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase)
        || name.Equals("Expect", StringComparison.OrdinalIgnoreCase);

    private static void AppendHeader(StringBuilder text, string name, System.Net.Http.Headers.HeaderStringValues values)
    {
        foreach (var value in values)
        {
            // A line break in a value would start a header (or a request) of the caller's choosing.
            if (value.AsSpan().IndexOfAny('\r', '\n') >= 0 || name.AsSpan().IndexOfAny("\r\n: ") >= 0)
            {
                throw new HttpRequestException(HttpRequestError.Unknown, $"header '{name}' holds a line break or is not a header name");
            }

            text.Append(name).Append(": ").Append(value).Append("\r\n");
        }
    }
}
