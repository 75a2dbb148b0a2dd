using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SandboxGrains.Http.Http1;
using Xunit;

namespace SandboxGrains.Silo.Tests.Forwarding;

/// <summary>
/// The HTTP/1.1 client under every forward, against a local Kestrel (what real apps answer) and a raw TCP server (the
/// framings and failures Kestrel never produces): every answer framing, reuse of kept-alive connections, both bodies at
/// once, an early answer, an upgrade, broken answers, a cut connection.
/// </summary>
public sealed class DuplexHttp1HandlerTests : IAsyncLifetime
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly HttpMessageInvoker _client = new(new DuplexHttp1Handler());
    private WebApplication _kestrel = null!;

    private Uri Kestrel(string path) => new(_kestrel.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + path);

    public async ValueTask InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = null);
        _kestrel = builder.Build();
        _kestrel.Use(async (context, next) =>
        {
            // Which connection carried the request: tells a reused connection from a new one.
            context.Response.Headers["X-Connection"] = context.Connection.Id;
            await next(context);
        });
        _kestrel.MapGet("/length", () => Results.Text("hello", "text/plain"));
        _kestrel.MapGet("/chunked", async (HttpContext context) =>
        {
            for (var i = 0; i < 50; i++)
            {
                await context.Response.WriteAsync($"piece {i}\n");
                await context.Response.Body.FlushAsync();
            }
        });
        _kestrel.MapGet("/nothing", () => Results.NoContent());
        _kestrel.MapGet("/not-modified", () => Results.StatusCode(304));
        _kestrel.MapMethods("/head", ["HEAD"], (HttpContext context) =>
        {
            context.Response.ContentLength = 12345;
            return Task.CompletedTask;
        });
        _kestrel.MapPost("/echo", async (HttpContext context) =>
        {
            // Writes each piece back as it is read: the answer flows while the upload still arrives.
            context.Response.ContentType = "application/octet-stream";
            await context.Request.Body.CopyToAsync(context.Response.Body);
        });
        await _kestrel.StartAsync(Ct);
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        await _kestrel.DisposeAsync();
    }

    [Fact]
    public async Task Send_LengthAndChunkedAnswers_ArriveWhole_OnOneKeptAliveConnection()
    {
        var seen = new HashSet<string>();
        for (var i = 0; i < 3; i++)
        {
            using var length = await _client.SendAsync(new HttpRequestMessage(HttpMethod.Get, Kestrel("/length")), Ct);
            Assert.Equal("hello", await length.Content.ReadAsStringAsync(Ct));
            Assert.Equal(5, length.Content.Headers.ContentLength);
            seen.Add(length.Headers.GetValues("X-Connection").Single());

            using var chunked = await _client.SendAsync(new HttpRequestMessage(HttpMethod.Get, Kestrel("/chunked")), Ct);
            Assert.Null(chunked.Content.Headers.ContentLength);
            Assert.Equal(string.Concat(Enumerable.Range(0, 50).Select(n => $"piece {n}\n")), await chunked.Content.ReadAsStringAsync(Ct));
            seen.Add(chunked.Headers.GetValues("X-Connection").Single());
        }

        Assert.Single(seen);
    }

    [Fact]
    public async Task Send_HeadNoContentNotModified_HaveNoBody_AndTheConnectionCarriesOn()
    {
        using var head = await _client.SendAsync(new HttpRequestMessage(HttpMethod.Head, Kestrel("/head")), Ct);
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal(12345, head.Content.Headers.ContentLength);
        Assert.Empty(await head.Content.ReadAsByteArrayAsync(Ct));

        using var nothing = await _client.SendAsync(new HttpRequestMessage(HttpMethod.Get, Kestrel("/nothing")), Ct);
        Assert.Equal(HttpStatusCode.NoContent, nothing.StatusCode);
        Assert.Empty(await nothing.Content.ReadAsByteArrayAsync(Ct));

        using var notModified = await _client.SendAsync(new HttpRequestMessage(HttpMethod.Get, Kestrel("/not-modified")), Ct);
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
        Assert.Empty(await notModified.Content.ReadAsByteArrayAsync(Ct));

        using var after = await _client.SendAsync(new HttpRequestMessage(HttpMethod.Get, Kestrel("/length")), Ct);
        Assert.Equal("hello", await after.Content.ReadAsStringAsync(Ct));
        Assert.Equal(head.Headers.GetValues("X-Connection").Single(), after.Headers.GetValues("X-Connection").Single());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Send_EchoOf64Mb_IsReadWhileItIsUploaded_AndArrivesWhole(bool declaredLength)
    {
        const long Size = 64L * 1024 * 1024;
        var upload = new GeneratedContent(Size, declaredLength);
        using var request = new HttpRequestMessage(HttpMethod.Post, Kestrel("/echo")) { Content = upload };

        // The answer's head arrives while the upload is still going: a handler that sent the body first would hang here
        // (Kestrel's echo stops reading once nobody reads its answer).
        using var response = await _client.SendAsync(request, Ct).WaitAsync(TimeSpan.FromSeconds(30), Ct);
        Assert.False(upload.Finished.IsCompleted, "the whole upload went out before the answer's head was returned");
        await using var body = await response.Content.ReadAsStreamAsync(Ct);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[64 * 1024];
        long received = 0;
        int read;
        while ((read = await body.ReadAsync(buffer, Ct)) > 0)
        {
            hash.AppendData(buffer, 0, read);
            received += read;
        }

        Assert.Equal(Size, received);
        Assert.Equal(await upload.Finished, Convert.ToHexStringLower(hash.GetHashAndReset()));
    }

    [Fact]
    public async Task Send_ServerAnswersAfter1KbAndStopsReading_TheAnswerArrives_AndTheUploadIsCut()
    {
        var answered = new TaskCompletionSource();
        await using var server = new RawServer(async connection =>
        {
            await connection.ReadHeadAsync();
            await connection.ReadBodyAsync(1024);
            await connection.WriteAsync("HTTP/1.1 413 Payload Too Large\r\nContent-Length: 5\r\n\r\nlarge");
            answered.TrySetResult();

            // Keeps the connection open without reading: the rest of the upload has nowhere to go.
            await Task.Delay(TimeSpan.FromSeconds(60), CancellationToken.None);
        });
        var upload = new GeneratedContent(50L * 1024 * 1024, declaredLength: true);
        var clock = Stopwatch.StartNew();
        using var response = await _client.SendAsync(
            new HttpRequestMessage(HttpMethod.Post, $"http://127.0.0.1:{server.Port}/upload") { Content = upload }, Ct).WaitAsync(TimeSpan.FromSeconds(20), Ct);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("large", await response.Content.ReadAsStringAsync(Ct));
        await Assert.ThrowsAnyAsync<Exception>(() => upload.Finished.WaitAsync(TimeSpan.FromSeconds(20), Ct));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task Send_ChunkedAnswerWithExtensionsAndTrailers_ArrivesWhole_AndTheConnectionIsReused()
    {
        await using var server = new RawServer(async connection =>
        {
            while (await connection.ReadHeadAsync() is not null)
            {
                await connection.WriteAsync("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 999\r\n\r\n"
                    + "5;name=value\r\nhello\r\n1\r\n \r\n5\r\nworld\r\n0\r\nX-Trailer: yes\r\nX-Other: too\r\n\r\n");
            }
        });

        for (var i = 0; i < 3; i++)
        {
            using var response = await _client.SendAsync(new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{server.Port}/"), Ct);
            Assert.Null(response.Content.Headers.ContentLength);
            Assert.Equal("hello world", await response.Content.ReadAsStringAsync(Ct));
        }

        Assert.Equal(1, server.Connections);
    }

    [Fact]
    public async Task Send_AnswerWithoutFraming_RunsUntilTheServerCloses_AndItsConnectionIsNotReused()
    {
        await using var server = new RawServer(async connection =>
        {
            await connection.ReadHeadAsync();
            await connection.WriteAsync("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n" + string.Concat(Enumerable.Repeat("until close\n", 1000)));
        });

        for (var i = 0; i < 2; i++)
        {
            using var response = await _client.SendAsync(new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{server.Port}/"), Ct);
            Assert.Equal(string.Concat(Enumerable.Repeat("until close\n", 1000)), await response.Content.ReadAsStringAsync(Ct));
        }

        Assert.Equal(2, server.Connections);
    }

    [Fact]
    public async Task Send_KeptAliveConnectionTheServerDropped_TheNextRequestGoesOnANewOne()
    {
        await using var server = new RawServer(async connection =>
        {
            // Promises keep-alive, then hangs up anyway (a dev server's keep-alive timeout).
            await connection.ReadHeadAsync();
            await connection.WriteAsync("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nbye");
        });

        for (var i = 0; i < 5; i++)
        {
            using var response = await _client.SendAsync(new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{server.Port}/"), Ct);
            Assert.Equal("bye", await response.Content.ReadAsStringAsync(Ct));
        }

        Assert.Equal(5, server.Connections);
    }

    [Theory]
    [InlineData("hello, this is not HTTP\r\n\r\n", "HTTP/1.x status line")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", "invalid Content-Length")]
    [InlineData("HTTP/1.1 200 OK\r\n Folded: header\r\n\r\n", "malformed header line")]
    [InlineData("HTTP/1.1 200 OK\r\nX-Fill: " + "x" + "\r\n", "closed the connection in the middle of its answer's headers")]
    public async Task Send_BrokenAnswerHead_IsAnHttpRequestExceptionSayingWhy(string answer, string why)
    {
        await using var server = new RawServer(async connection =>
        {
            await connection.ReadHeadAsync();
            await connection.WriteAsync(answer);
        });

        var e = await Assert.ThrowsAsync<HttpRequestException>(() => _client.SendAsync(new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{server.Port}/"), Ct));
        Assert.Contains(why, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Send_AnswerHeadLargerThan64Kb_IsRefused()
    {
        await using var server = new RawServer(async connection =>
        {
            await connection.ReadHeadAsync();
            await connection.WriteAsync("HTTP/1.1 200 OK\r\n" + string.Concat(Enumerable.Range(0, 80).Select(i => $"X-Filler-{i}: {new string('x', 1000)}\r\n")) + "\r\n");
        });

        var e = await Assert.ThrowsAsync<HttpRequestException>(() => _client.SendAsync(new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{server.Port}/"), Ct));
        Assert.Equal(HttpRequestError.InvalidResponse, e.HttpRequestError);
    }

    [Theory]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nonly ten b")]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nonly ten b")]
    public async Task Send_BodyCutShort_ReadingItFails_NeverAShortBodyPassedAsWhole(string answer)
    {
        await using var server = new RawServer(async connection =>
        {
            await connection.ReadHeadAsync();
            await connection.WriteAsync(answer);
        });

        using var response = await _client.SendAsync(new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{server.Port}/"), Ct);
        await using var body = await response.Content.ReadAsStreamAsync(Ct);
        await Assert.ThrowsAsync<IOException>(() => body.CopyToAsync(Stream.Null, Ct));
    }

    [Fact]
    public async Task Send_NothingListening_IsAConnectionErrorWithTheRefusal()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();

        var e = await Assert.ThrowsAsync<HttpRequestException>(() => _client.SendAsync(new HttpRequestMessage(HttpMethod.Post, $"http://127.0.0.1:{port}/") { Content = new StringContent("x") }, Ct));
        Assert.Equal(HttpRequestError.ConnectionError, e.HttpRequestError);
        Assert.Equal(SocketError.ConnectionRefused, Assert.IsType<SocketException>(e.InnerException).SocketErrorCode);
    }

    [Fact]
    public async Task Send_UpgradeAnswer_GivesOneRawStreamBothWays()
    {
        await using var server = new RawServer(async connection =>
        {
            var head = await connection.ReadHeadAsync();
            Assert.Contains("Upgrade: websocket", head, StringComparison.Ordinal);
            await connection.WriteAsync("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\nfirst");
            var buffer = new byte[64];
            int read;
            while ((read = await connection.ReadAsync(buffer)) > 0)
            {
                await connection.WriteAsync(buffer[..read]);
            }
        });

        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{server.Port}/ws");
        request.Headers.TryAddWithoutValidation("Connection", "Upgrade");
        request.Headers.TryAddWithoutValidation("Upgrade", "websocket");
        using var response = await _client.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.SwitchingProtocols, response.StatusCode);
        await using var stream = await response.Content.ReadAsStreamAsync(Ct);
        var first = new byte[5];
        await stream.ReadExactlyAsync(first, Ct);
        Assert.Equal("first", Encoding.ASCII.GetString(first));
        await stream.WriteAsync("ping"u8.ToArray(), Ct);
        var echoed = new byte[4];
        await stream.ReadExactlyAsync(echoed, Ct);
        Assert.Equal("ping", Encoding.ASCII.GetString(echoed));
    }

    [Fact]
    public async Task Send_CallerGivesUpWhileReading_TheServerSeesItsConnectionClosed()
    {
        var closed = new TaskCompletionSource();
        await using var server = new RawServer(async connection =>
        {
            await connection.ReadHeadAsync();
            await connection.WriteAsync("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nstart");
            if (await connection.ReadAsync(new byte[1]) == 0)
            {
                closed.TrySetResult();
            }
        });

        using var response = await _client.SendAsync(new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{server.Port}/"), Ct);
        var body = await response.Content.ReadAsStreamAsync(Ct);
        await body.ReadExactlyAsync(new byte[5], Ct);
        using var giveUp = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await body.ReadExactlyAsync(new byte[95], giveUp.Token));
        await body.DisposeAsync();
        await closed.Task.WaitAsync(TimeSpan.FromSeconds(10), Ct);
    }

    [Fact]
    public async Task Send_HeaderValueWithALineBreak_IsRefusedBeforeAnythingIsSent()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, Kestrel("/length"));
        request.Headers.TryAddWithoutValidation("X-Sneaky", "a\r\nX-Injected: 1");
        await Assert.ThrowsAsync<HttpRequestException>(() => _client.SendAsync(request, Ct));
    }

    /// <summary>A generated upload of <c>size</c> bytes; <see cref="Finished"/> gives its SHA-256 once all of it was written, or fails when it was cut.</summary>
    private sealed class GeneratedContent(long size, bool declaredLength) : HttpContent
    {
        private readonly TaskCompletionSource<string> _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task<string> Finished => _finished.Task;

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var random = new Random(42);
            var block = new byte[64 * 1024];
            try
            {
                for (long left = size; left > 0; left -= block.Length)
                {
                    random.NextBytes(block);
                    var count = (int)Math.Min(block.Length, left);
                    await stream.WriteAsync(block.AsMemory(0, count), cancellationToken);
                    hash.AppendData(block, 0, count);
                }

                _finished.TrySetResult(Convert.ToHexStringLower(hash.GetHashAndReset()));
            }
            catch (Exception e)
            {
                _finished.TrySetException(e);
                throw;
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = size;
            return declaredLength;
        }
    }
}
