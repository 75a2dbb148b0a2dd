using System.Buffers.Binary;
using System.Net.WebSockets;
using System.Text;
using Microsoft.AspNetCore.Http.Features;

namespace SandboxGrains.Daemon.Http;

/// <summary>
/// Accepts a WebSocket without ASP.NET's handshake, which computes Sec-WebSocket-Accept with SHA-1 through OpenSSL:
/// sandbox images such as busybox and distroless have no libssl, and .NET aborts the process when it is missing.
/// The handshake hash is not a security boundary (the daemon secret is), so a small managed SHA-1 does it here.
/// </summary>
internal static class WebSocketHandshake
{
    private const string Magic = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    public static async Task<WebSocket> AcceptAsync(HttpContext context, string? subprotocol)
    {
        var key = context.Request.Headers["Sec-WebSocket-Key"].ToString();
        if (key.Length == 0 || context.Features.Get<IHttpUpgradeFeature>() is not { IsUpgradableRequest: true } upgrade)
        {
            throw DaemonError.BadRequest("expected a WebSocket upgrade request", "WEBSOCKET_REQUIRED");
        }

        context.Response.Headers.Connection = "Upgrade";
        context.Response.Headers.Upgrade = "websocket";
        context.Response.Headers.SecWebSocketAccept = Convert.ToBase64String(Sha1(Encoding.ASCII.GetBytes(key.Trim() + Magic)));
        if (subprotocol is not null)
        {
            context.Response.Headers.SecWebSocketProtocol = subprotocol;
        }

        var stream = await upgrade.UpgradeAsync();
        return WebSocket.CreateFromStream(stream, new WebSocketCreationOptions
        {
            IsServer = true,
            SubProtocol = subprotocol,
            KeepAliveInterval = TimeSpan.FromSeconds(30),
        });
    }

    /// <summary>SHA-1 (FIPS 180-4), for the handshake only.</summary>
    internal static byte[] Sha1(byte[] message)
    {
        uint h0 = 0x67452301, h1 = 0xEFCDAB89, h2 = 0x98BADCFE, h3 = 0x10325476, h4 = 0xC3D2E1F0;
        var padded = new byte[((message.Length + 8) / 64 + 1) * 64];
        message.CopyTo(padded, 0);
        padded[message.Length] = 0x80;
        BinaryPrimitives.WriteUInt64BigEndian(padded.AsSpan(padded.Length - 8), (ulong)message.Length * 8);
        Span<uint> w = stackalloc uint[80];
        for (var chunk = 0; chunk < padded.Length; chunk += 64)
        {
            for (var i = 0; i < 16; i++)
            {
                w[i] = BinaryPrimitives.ReadUInt32BigEndian(padded.AsSpan(chunk + i * 4));
            }

            for (var i = 16; i < 80; i++)
            {
                w[i] = uint.RotateLeft(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
            }

            uint a = h0, b = h1, c = h2, d = h3, e = h4;
            for (var i = 0; i < 80; i++)
            {
                var (f, k) = i switch
                {
                    < 20 => ((b & c) | (~b & d), 0x5A827999u),
                    < 40 => (b ^ c ^ d, 0x6ED9EBA1u),
                    < 60 => ((b & c) | (b & d) | (c & d), 0x8F1BBCDCu),
                    _ => (b ^ c ^ d, 0xCA62C1D6u),
                };
                var temp = uint.RotateLeft(a, 5) + f + e + k + w[i];
                e = d;
                d = c;
                c = uint.RotateLeft(b, 30);
                b = a;
                a = temp;
            }

            h0 += a; h1 += b; h2 += c; h3 += d; h4 += e;
        }

        var digest = new byte[20];
        BinaryPrimitives.WriteUInt32BigEndian(digest, h0);
        BinaryPrimitives.WriteUInt32BigEndian(digest.AsSpan(4), h1);
        BinaryPrimitives.WriteUInt32BigEndian(digest.AsSpan(8), h2);
        BinaryPrimitives.WriteUInt32BigEndian(digest.AsSpan(12), h3);
        BinaryPrimitives.WriteUInt32BigEndian(digest.AsSpan(16), h4);
        return digest;
    }
}
