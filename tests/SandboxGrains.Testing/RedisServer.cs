using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;

namespace SandboxGrains.Testing;

/// <summary>
/// A private redis-server on a free loopback port with persistence on (append-only file in a temporary folder), for
/// tests that stop and start Redis under a running cluster. Debian's <c>redis-server</c> must be on the PATH.
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("sandboxgrains-redis-").FullName;
    private Process? _process;

    private readonly string[] _addresses;

    private RedisServer(int port, string[] addresses) => (Port, _addresses) = (port, addresses);

    public int Port { get; }

    public string Endpoint => $"127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>Where a silo on another "host" (<see cref="SecondHost"/>) reaches this server: one of the addresses it was bound to.</summary>
    public string EndpointAt(string address) => $"{address}:{Port.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>Starts a server on 127.0.0.1 and on each of <paramref name="alsoOn"/> (this machine's own addresses).</summary>
    public static async Task<RedisServer> StartAsync(params string[] alsoOn)
    {
        var server = new RedisServer(FreePort.Next(), ["127.0.0.1", .. alsoOn]);
        await server.StartAgainAsync();
        return server;
    }

    /// <summary>Starts redis-server on the same port and folder (so it reloads what it had written) and waits for PING.</summary>
    public async Task StartAgainAsync()
    {
        _process = ServerProcess.Start("redis-server", ["--bind", .. _addresses, "--protected-mode", "no", "--port", Port.ToString(CultureInfo.InvariantCulture), "--dir", _folder, "--appendonly", "yes", "--appendfsync", "always", "--save", ""]);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!await AnswersAsync())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"redis-server on {Endpoint} did not answer PING");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>Stops redis-server the way a service manager would (SIGTERM: it writes its data and exits).</summary>
    public async Task StopAsync()
    {
        if (_process is { HasExited: false } process)
        {
            await ProcessRunner.RunAsync("kill", ["-TERM", process.Id.ToString(CultureInfo.InvariantCulture)]);
            await process.WaitForExitAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await ServerProcess.KillAsync(_process);
        Directory.Delete(_folder, recursive: true);
    }

    private async Task<bool> AnswersAsync()
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync("127.0.0.1", Port);
            var stream = client.GetStream();
            await stream.WriteAsync("PING\r\n"u8.ToArray());
            var buffer = new byte[16];
            return await stream.ReadAsync(buffer) > 0 && buffer[0] == (byte)'+';
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
