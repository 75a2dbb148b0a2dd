using SandboxGrains.Daemon.Http;

namespace SandboxGrains.Daemon.Ports;

/// <summary><c>GET /port</c> (every listening port) and <c>GET /port/{port}/in-use</c> (whether one is).</summary>
internal static class PortEndpoints
{
    public static void MapPortEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/port", () => TypedResults.Json(new PortsDto(ListeningPorts.Read()), DaemonJson.Default.PortsDto));
        app.MapGet("/port/{port}/in-use", (string port) =>
        {
            if (!int.TryParse(port, out var number) || number is < 1 or > 65535)
            {
                throw DaemonError.BadRequest($"port '{port}' is not a number from 1 to 65535", DaemonProtocol.Errors.InvalidPort);
            }

            return TypedResults.Json(new PortInUseDto(ListeningPorts.Read().Contains(number)), DaemonJson.Default.PortInUseDto);
        });
    }
}
