using System.Net;
using SandboxGrains.Daemon.Ports;
using Xunit;

namespace SandboxGrains.Daemon.Tests;

/// <summary>Reading the default gateway from the kernel's routing table as <c>/proc/net/route</c> prints it.</summary>
public sealed class NeighbourAnnouncementTests
{
    private const string Header = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n";

    [Fact]
    public void DefaultGateway_IsTheGatewayOfTheRouteToEverywhere()
    {
        // A container on a Docker bridge: the default route through 172.19.0.1, and the bridge's own subnet.
        var routes = Header
            + "eth0\t00000000\t010013AC\t0003\t0\t0\t0\t00000000\t0\t0\t0\n"
            + "eth0\t000013AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0\n";

        Assert.Equal(IPAddress.Parse("172.19.0.1"), NeighbourAnnouncement.DefaultGateway(routes));
    }

    [Theory]
    [InlineData("eth0\t000013AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0\n")] // only the subnet, as on an internal network
    [InlineData("eth0\t00000000\t00000000\t0001\t0\t0\t0\t00000000\t0\t0\t0\n")] // a default route without a gateway
    [InlineData("")]
    public void DefaultGateway_IsNull_WithoutARouteThroughOne(string lines) =>
        Assert.Null(NeighbourAnnouncement.DefaultGateway(Header + lines));
}
