using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace SandboxGrains.Daemon.Ports;

/// <summary>
/// One UDP datagram to the container's default gateway as the daemon starts, so the host knows this container's link
/// address before the cluster's first request to the daemon.
/// </summary>
/// <remarks>
/// Docker gives a removed container's IP address to the next container. Docker 20.10 sends no gratuitous ARP when it does,
/// and a connection the host closed after the old container was gone keeps retransmitting into that address, which keeps
/// the host's neighbour entry for it unresolved. The host then learns the new container only on its next ARP retry,
/// once a second: traced on a bridge here, the cluster's first probe of a new daemon waited 0.5–1 s for that retry on most
/// creates one after another. A datagram to the gateway makes this container ask for the gateway's address, and the host
/// takes ours from that request. Port 9 is the discard service; nothing has to listen.
/// </remarks>
internal static class NeighbourAnnouncement
{
    private const int DiscardPort = 9;

    /// <summary>Sends the datagram when there is a default IPv4 route; any failure is ignored (the announcement only saves time).</summary>
    public static void Send()
    {
        try
        {
            if (DefaultGateway(File.ReadAllText("/proc/net/route")) is not { } gateway)
            {
                return;
            }

            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            socket.SendTo([0], new IPEndPoint(gateway, DiscardPort));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or SocketException)
        {
        }
    }

    /// <summary>
    /// The gateway of the default route in the text of <c>/proc/net/route</c> (columns Iface, Destination, Gateway, Flags…;
    /// addresses as the kernel's 32-bit values in hexadecimal, host byte order); null when there is none.
    /// </summary>
    internal static IPAddress? DefaultGateway(string routes)
    {
        const int RouteUsesGateway = 0x2;
        foreach (var line in routes.Split('\n').Skip(1))
        {
            var fields = line.Split(['\t', ' '], StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 4
                || fields[1] != "00000000"
                || !uint.TryParse(fields[2], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var gateway)
                || !int.TryParse(fields[3], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var flags)
                || (flags & RouteUsesGateway) == 0
                || gateway == 0)
            {
                continue;
            }

            // The kernel prints the address as the number its bytes make in memory; on linux-x64 (little-endian) that is
            // the value IPAddress's constructor expects.
            return new IPAddress(gateway);
        }

        return null;
    }
}
