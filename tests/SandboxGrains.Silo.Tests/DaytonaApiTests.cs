using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Xunit;

namespace SandboxGrains.Silo.Tests;

/// <summary>
/// The edges of Daytona's API at <c>/api</c> that its SDK's own tests (tests/daytona-sdk) do not reach: error bodies for a
/// bad key and a missing sandbox, 501 for what is not served, the Socket.IO channel's handshake and its key check, and
/// the native API's unknown-route problem left as it was.
/// </summary>
public sealed class DaytonaApiTests(SiloFixture fixture) : IClassFixture<SiloFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Sandbox_WithoutKey_Is401InDaytonasShape()
    {
        using var client = fixture.Silo.CreateClient(authenticated: false);

        using var response = await client.GetAsync("/api/sandbox", Ct);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var error = await ErrorAsync(response);
        Assert.Equal(401, error.GetProperty("statusCode").GetInt32());
        Assert.Equal("Unauthorized", error.GetProperty("error").GetString());
        Assert.Equal("/api/sandbox", error.GetProperty("path").GetString());
        Assert.Contains("API key", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/api/sandbox/nosuchsandbox000")]
    [InlineData("/api/sandbox/no-such-name-at-all")]
    [InlineData("/api/sandbox/Not%20An%20Id/ports/3000/preview-url")]
    public async Task UnknownSandbox_Is404WithTheSandboxInTheMessage(string path)
    {
        using var client = fixture.Silo.CreateClient();

        using var response = await client.GetAsync(path, Ct);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var error = await ErrorAsync(response);
        Assert.Equal("sandbox_not_found", error.GetProperty("code").GetString());
        Assert.EndsWith("not found", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("POST", "/api/sandbox/abc/fork")]
    [InlineData("POST", "/api/snapshots")]
    [InlineData("GET", "/api/object-storage/push-access")]
    public async Task UnservedDaytonaRoute_Is501SayingSo(string method, string path)
    {
        using var client = fixture.Silo.CreateClient();

        using var response = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path), Ct);

        Assert.Equal(HttpStatusCode.NotImplemented, response.StatusCode);
        Assert.Contains("is not supported by SandboxGrains", (await ErrorAsync(response)).GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SocketIo_WithoutAWebSocket_Is400NotA500()
    {
        using var client = fixture.Silo.CreateClient(authenticated: false);

        using var response = await client.GetAsync("/api/socket.io/?EIO=4&transport=polling", Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("WebSocket", (await ErrorAsync(response)).GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SocketIo_KeyInTheConnectPacket_IsConnected()
    {
        using var socket = await OpenSocketIoAsync();

        await SendAsync(socket, $"40{{\"token\":\"{fixture.Silo.ApiKey}\"}}");

        Assert.StartsWith("40{\"sid\":", await ReceiveAsync(socket), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SocketIo_WrongKey_IsAConnectError()
    {
        using var socket = await OpenSocketIoAsync();

        await SendAsync(socket, "40{\"token\":\"not-a-key-of-this-silo\"}");

        Assert.StartsWith("44{\"message\":\"Unauthorized", await ReceiveAsync(socket), StringComparison.Ordinal);
    }

    /// <summary>A WebSocket as the SDK opens it (no Authorization header), past Engine.IO's open packet.</summary>
    private async Task<ClientWebSocket> OpenSocketIoAsync()
    {
        var socket = new ClientWebSocket();
        var address = new UriBuilder(fixture.Silo.BaseAddress) { Scheme = "ws", Path = "/api/socket.io/", Query = "EIO=4&transport=websocket&sdkVersion=0.218.0" };
        await socket.ConnectAsync(address.Uri, Ct);
        var open = await ReceiveAsync(socket);
        Assert.StartsWith("0{", open, StringComparison.Ordinal);
        using var handshake = JsonDocument.Parse(open[1..]);
        Assert.Equal(25000, handshake.RootElement.GetProperty("pingInterval").GetInt32());
        return socket;
    }

    private static Task SendAsync(ClientWebSocket socket, string packet) =>
        socket.SendAsync(Encoding.UTF8.GetBytes(packet), WebSocketMessageType.Text, endOfMessage: true, Ct);

    private static async Task<string> ReceiveAsync(ClientWebSocket socket)
    {
        var buffer = new byte[8192];
        var result = await socket.ReceiveAsync(buffer, Ct);
        Assert.True(result.EndOfMessage);
        return Encoding.UTF8.GetString(buffer, 0, result.Count);
    }

    [Fact]
    public async Task HealthAndConfig_NeedNoKey()
    {
        using var client = fixture.Silo.CreateClient(authenticated: false);

        using var config = await client.GetFromJsonAsync<JsonDocument>("/api/config", Ct);
        using var health = await client.GetAsync("/api/health", Ct);

        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal($"{fixture.Silo.BaseAddress.GetLeftPart(UriPartial.Authority)}/toolbox", config!.RootElement.GetProperty("toolboxProxyUrl").GetString());
    }

    [Fact]
    public async Task UnknownApiRoute_StaysTheNativeProblem()
    {
        using var client = fixture.Silo.CreateClient();

        using var response = await client.GetAsync("/api/nothing-here", Ct);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    private static async Task<JsonElement> ErrorAsync(HttpResponseMessage response)
    {
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        var error = document.RootElement.Clone();
        Assert.True(error.TryGetProperty("timestamp", out _));
        return error;
    }
}
