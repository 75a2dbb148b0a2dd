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

    /// <summary>
    /// Sends the datagram when this process runs in a container (on a host the gateway is a router that has nothing to
    /// learn) and there is a default IPv4 route. Any failure is ignored: the announcement only saves time.
    /// </summary>
    public static void Send()
    {
        try
        {
            if (!InContainer() || DefaultGateway(File.ReadAllText("/proc/net/route")) is not { } gateway)
            {
                return;
            }

            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            socket.SendTo([0], new IPEndPoint(gateway, DiscardPort));
        }
        catch (Exception)
        {
        }
    }

    /// <summary>A container's init, or a process in a container Docker or Podman marks as one.</summary>
    private static bool InContainer() =>
        Environment.ProcessId == 1 || File.Exists("/.dockerenv") || File.Exists("/run/.containerenv");

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

            // The kernel prints the address as the integer its bytes make in this machine's byte order, which is what
            // IPAddress's constructor takes. The first default route wins; a container has one.
            return new IPAddress(gateway);
        }

        return null;
    }
}
