using System.Net.Sockets;
using System.Text;
using SandboxGrains.Http.Http1;

namespace SandboxGrains.Silo.Forwarding.Relay;

/// <summary>
/// The front end's side of a runner's relay: connections to one sandbox's container go to the relay of the silo that owns
/// its runner, which checks the signed request (<see cref="RelayProtocol"/>) and carries the bytes on.
/// </summary>
internal sealed class RelayTunnel(string host, int port, string runnerId, string sandboxId, byte[] key, TimeProvider time) : Http1Tunnel(host, port)
{
    private const int MaxAnswerHead = 4096;

    /// <summary>The relay and the sandbox: a pooled connection through it is good for that sandbox's targets only.</summary>
    public override string Name { get; } = $"the relay of runner {runnerId} at {host}:{port} for {sandboxId}";

    public override async ValueTask OpenAsync(Socket socket, string endpoint, CancellationToken cancellationToken)
    {
        var request =
            $"GET {RelayProtocol.Path} HTTP/1.1\r\nHost: {(Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]" : Host)}:{Port}\r\n" +
            $"Connection: Upgrade\r\nUpgrade: {RelayProtocol.UpgradeToken}\r\n" +
            $"{RelayProtocol.SandboxHeader}: {sandboxId}\r\n{RelayProtocol.TargetHeader}: {endpoint}\r\n" +
            $"{RelayProtocol.SignatureHeader}: {RelayProtocol.Sign(key, time.GetUtcNow(), sandboxId, endpoint)}\r\n\r\n";
        try
        {
            await socket.SendAsync(Encoding.ASCII.GetBytes(request), SocketFlags.None, cancellationToken).ConfigureAwait(false);
            var (status, error) = Parse(await ReadHeadAsync(socket, cancellationToken).ConfigureAwait(false));
            if (status == 101)
            {
                return;
            }

            throw error switch
            {
                // What a direct connect would have met: the app's or daemon's failure, answered as on the straight lane.
                RelayProtocol.Errors.NothingListens => new SocketException((int)SocketError.ConnectionRefused),
                RelayProtocol.Errors.TargetUnreachable => new SocketException((int)SocketError.TimedOut),
                RelayProtocol.Errors.NotServing => new Http1TunnelException($"the relay answered {status} ({error})", retryable: true),
                RelayProtocol.Errors.BadSignature => new Http1TunnelException(
                    $"the relay refused this silo's signature ({status}): {RelayOptions.SecretKey} must be the same on both silos, and their clocks within {RelayProtocol.MaxClockSkew.TotalSeconds:0} s",
                    retryable: false),
                RelayProtocol.Errors.NotThisRunner => new Http1TunnelException(
                    $"the relay says the sandbox is not on its runner ({status}); it may have just moved", retryable: true),
                _ => new Http1TunnelException($"the relay answered {status}{(error is null ? "" : $" ({error})")}", retryable: status >= 500),
            };
        }
        catch (Exception e) when (e is IOException or SocketException { SocketErrorCode: not (SocketError.ConnectionRefused or SocketError.TimedOut) })
        {
            throw new Http1TunnelException($"the connection to the relay broke: {e.Message}", retryable: true, e);
        }
    }

    /// <summary>
    /// The relay's answer head and not a byte more: after a 101 the next bytes are the target's. Bytes are looked at
    /// before they are taken off the socket, so only the head is consumed.
    /// </summary>
    private static async Task<string> ReadHeadAsync(Socket socket, CancellationToken cancellationToken)
    {
        var buffer = new byte[MaxAnswerHead];
        var length = 0;
        while (true)
        {
            if (length == buffer.Length)
            {
                throw new Http1TunnelException($"the relay's answer head is over {MaxAnswerHead} bytes", retryable: false);
            }

            var seen = await socket.ReceiveAsync(buffer.AsMemory(length), SocketFlags.Peek, cancellationToken).ConfigureAwait(false);
            if (seen == 0)
            {
                throw new Http1TunnelException("the relay closed the connection without answering", retryable: true);
            }

            var end = buffer.AsSpan(0, length + seen).IndexOf("\r\n\r\n"u8);
            var take = end >= 0 ? end + 4 - length : seen;
            for (var taken = 0; taken < take;)
            {
                taken += await socket.ReceiveAsync(buffer.AsMemory(length + taken, take - taken), SocketFlags.None, cancellationToken).ConfigureAwait(false);
            }

            length += take;
            if (end >= 0)
            {
                return Encoding.Latin1.GetString(buffer, 0, length);
            }
        }
    }

    private static (int Status, string? Error) Parse(string head)
    {
        var lines = head.Split("\r\n");
        if (lines[0].Split(' ') is not [['H', 'T', 'T', 'P', '/', ..], var code, ..] || !int.TryParse(code, out var status))
        {
            throw new Http1TunnelException("the relay's answer is not HTTP", retryable: false);
        }

        var error = lines.Skip(1)
            .Select(line => line.Split(':', 2))
            .FirstOrDefault(pair => pair.Length == 2 && pair[0].Trim().Equals(RelayProtocol.ErrorHeader, StringComparison.OrdinalIgnoreCase))?[1].Trim();
        return (status, error);
    }
}
