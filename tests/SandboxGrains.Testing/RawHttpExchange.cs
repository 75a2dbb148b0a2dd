using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace SandboxGrains.Testing;

/// <summary>How a <see cref="RawHttpExchange"/> behaves as a client.</summary>
public sealed record RawExchangeOptions
{
    /// <summary>Bytes of generated body to upload (0: none).</summary>
    public long BodyBytes { get; init; }

    /// <summary>Read the answer no faster than this many bytes a second; null: as fast as it comes.</summary>
    public int? ReadBytesPerSecond { get; init; }

    /// <summary>Close the connection after this long, whatever state the exchange is in; null: run to the end.</summary>
    public TimeSpan? DisconnectAfter { get; init; }

    /// <summary>Gives up after this long, with what it saw so far (no status: none arrived).</summary>
    public TimeSpan Deadline { get; init; } = TimeSpan.FromSeconds(120);
}

/// <summary>What a <see cref="RawHttpExchange"/> sent and saw.</summary>
public sealed record RawExchangeResult(
    int? Status,
    IReadOnlyList<KeyValuePair<string, string>> Headers,
    long SentBytes,
    string SentSha256,
    long ReceivedBodyBytes,
    string ReceivedSha256,
    bool BodyComplete,
    TimeSpan? StatusAfter,
    TimeSpan Elapsed,
    string? SendError);

/// <summary>
/// One HTTP/1.1 request over a raw TCP connection, its body uploaded while its answer is read. The tests need this
/// because <see cref="HttpClient"/> on HTTP/1.1 sends the whole body before it reads any answer, which hides the very
/// thing they check: an answer that starts, or ends, before the upload does. The body is generated (seeded random
/// bytes), so 64 MB cost no memory, and both directions are hashed as they pass.
/// </summary>
public static class RawHttpExchange
{
    public static async Task<RawExchangeResult> RunAsync(
        IPEndPoint server, string method, string target, IEnumerable<KeyValuePair<string, string>> headers, RawExchangeOptions options,
        CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(options.Deadline);
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(server, deadline.Token);
        using var stream = new NetworkStream(socket, ownsSocket: false);
        var clock = Stopwatch.StartNew();

        var head = new StringBuilder().Append(CultureInfo.InvariantCulture, $"{method} {target} HTTP/1.1\r\n");
        foreach (var (name, value) in headers)
        {
            head.Append(CultureInfo.InvariantCulture, $"{name}: {value}\r\n");
        }

        if (options.BodyBytes > 0)
        {
            head.Append(CultureInfo.InvariantCulture, $"Content-Length: {options.BodyBytes}\r\n");
        }

        head.Append("Connection: close\r\n\r\n");
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head.ToString()), deadline.Token);

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token);
        if (options.DisconnectAfter is { } after)
        {
            stop.CancelAfter(after);
        }

        var sending = SendBodyAsync(stream, options.BodyBytes, stop.Token);
        var reading = ReadAnswerAsync(stream, options.ReadBytesPerSecond, clock, stop.Token);
        var answer = await reading;

        // The answer is over (or we hang up, as a closed browser tab does): whatever of the upload is left stays unsent.
        await stop.CancelAsync();
        socket.Close(0);
        var sent = await sending;

        return new RawExchangeResult(
            answer.Status, answer.Headers, sent.Bytes, sent.Sha256, answer.BodyBytes, answer.Sha256, answer.Complete, answer.StatusAfter, clock.Elapsed, sent.Error);
    }

    private static async Task<(long Bytes, string Sha256, string? Error)> SendBodyAsync(Stream stream, long length, CancellationToken cancellationToken)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var generator = new Random(length.GetHashCode());
        var block = new byte[64 * 1024];
        long sent = 0;
        try
        {
            while (sent < length)
            {
                generator.NextBytes(block);
                var count = (int)Math.Min(block.Length, length - sent);
                await stream.WriteAsync(block.AsMemory(0, count), cancellationToken);
                hash.AppendData(block, 0, count);
                sent += count;
            }

            return (sent, Convert.ToHexStringLower(hash.GetHashAndReset()), null);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException or SocketException)
        {
            return (sent, Convert.ToHexStringLower(hash.GetHashAndReset()), e.Message);
        }
    }

    private sealed record Answer(int? Status, List<KeyValuePair<string, string>> Headers, long BodyBytes, string Sha256, bool Complete, TimeSpan? StatusAfter);

    private static async Task<Answer> ReadAnswerAsync(Stream stream, int? bytesPerSecond, Stopwatch clock, CancellationToken cancellationToken)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[bytesPerSecond is { } rate ? Math.Clamp(rate / 8, 1024, 64 * 1024) : 64 * 1024];
        var pending = new MemoryStream();
        int? status = null;
        TimeSpan? statusAfter = null;
        var headers = new List<KeyValuePair<string, string>>();
        long? length = null;
        var chunked = false;
        long body = 0;
        var complete = false;
        var throttle = Stopwatch.StartNew();
        try
        {
            // Head: read until the blank line.
            while (status is null)
            {
                var read = await stream.ReadAsync(buffer, cancellationToken);
                if (read == 0)
                {
                    return new Answer(null, headers, 0, "", false, null);
                }

                pending.Write(buffer, 0, read);
                var text = Encoding.Latin1.GetString(pending.GetBuffer(), 0, (int)pending.Length);
                var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
                if (end < 0)
                {
                    continue;
                }

                var lines = text[..end].Split("\r\n");
                status = int.Parse(lines[0].Split(' ')[1], CultureInfo.InvariantCulture);
                statusAfter = clock.Elapsed;
                foreach (var line in lines.Skip(1))
                {
                    var colon = line.IndexOf(':', StringComparison.Ordinal);
                    headers.Add(new(line[..colon], line[(colon + 1)..].Trim()));
                }

                length = headers.Where(h => h.Key.Equals("Content-Length", StringComparison.OrdinalIgnoreCase)).Select(h => (long?)long.Parse(h.Value, CultureInfo.InvariantCulture)).FirstOrDefault();
                chunked = headers.Any(h => h.Key.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase) && h.Value.Contains("chunked", StringComparison.OrdinalIgnoreCase));
                var rest = pending.ToArray()[(Encoding.Latin1.GetByteCount(text[..end]) + 4)..];
                pending = new MemoryStream();
                pending.Write(rest);
            }

            // Body: the framing is decoded into a plain byte stream only for chunked answers; the rest is counted.
            var framed = new MemoryStream();
            framed.Write(pending.ToArray());
            while (true)
            {
                if (chunked)
                {
                    if (TryTakeChunks(framed, hash, ref body, out var done) && done)
                    {
                        complete = true;
                        break;
                    }
                }
                else if (framed.Length > 0)
                {
                    hash.AppendData(framed.GetBuffer(), 0, (int)framed.Length);
                    body += framed.Length;
                    framed.SetLength(0);
                }

                if (!chunked && length is { } expected && body >= expected)
                {
                    complete = body == expected;
                    break;
                }

                if (bytesPerSecond is { } limit)
                {
                    var due = TimeSpan.FromSeconds((double)body / limit) - throttle.Elapsed;
                    if (due > TimeSpan.Zero)
                    {
                        await Task.Delay(due, cancellationToken);
                    }
                }

                var read = await stream.ReadAsync(buffer, cancellationToken);
                if (read == 0)
                {
                    complete = !chunked && length is null;
                    break;
                }

                framed.Write(buffer, 0, read);
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }

        return new Answer(status, headers, body, Convert.ToHexStringLower(hash.GetHashAndReset()), complete, statusAfter);
    }

    /// <summary>Decodes the whole chunks in <paramref name="framed"/>, leaving a partial one there.</summary>
    private static bool TryTakeChunks(MemoryStream framed, IncrementalHash hash, ref long body, out bool done)
    {
        done = false;
        var data = framed.ToArray();
        var at = 0;
        while (true)
        {
            var lineEnd = data.AsSpan(at).IndexOf("\r\n"u8);
            if (lineEnd < 0)
            {
                break;
            }

            var sizeText = Encoding.ASCII.GetString(data, at, lineEnd).Split(';')[0];
            var size = long.Parse(sizeText, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            if (size == 0)
            {
                done = true;
                at = data.Length;
                break;
            }

            if (data.Length - (at + lineEnd + 2) < size + 2)
            {
                break;
            }

            hash.AppendData(data, at + lineEnd + 2, (int)size);
            body += size;
            at += lineEnd + 2 + (int)size + 2;
        }

        framed.SetLength(0);
        framed.Write(data, at, data.Length - at);
        return true;
    }
}
