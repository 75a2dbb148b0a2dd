using System.Net.Sockets;
using Xunit;

namespace SandboxGrains.Testing;

/// <summary>
/// Tests that need a real Docker engine or Redis call these first. Locally a missing service skips the test with the
/// reason; in CI (<c>CI=true</c>) it fails it, so a broken set-up can never pass as "all green".
/// </summary>
public static class Requirements
{
    /// <summary>True when running in CI, where missing services are failures.</summary>
    public static bool InCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>The Docker endpoint the tests use: <c>DOCKER_HOST</c> or the local socket.</summary>
    public static string DockerEndpoint =>
        Environment.GetEnvironmentVariable("DOCKER_HOST") is { Length: > 0 } host ? host : "unix:///var/run/docker.sock";

    /// <summary>Redis for tests: <c>SANDBOXGRAINS_TEST_REDIS</c>, default 127.0.0.1:6390 (what the test script starts).</summary>
    public static string RedisEndpoint =>
        Environment.GetEnvironmentVariable("SANDBOXGRAINS_TEST_REDIS") is { Length: > 0 } redis ? redis : "127.0.0.1:6390";

    /// <summary>Skips (locally) or fails (CI) unless the Docker engine answers a ping.</summary>
    public static async Task DockerAsync()
    {
        var problem = await ProbeDockerAsync();
        if (problem is not null)
        {
            Unavailable($"Docker is needed: {problem}");
        }
    }

    /// <summary>Skips (locally) or fails (CI) unless Redis answers PING.</summary>
    public static async Task RedisAsync()
    {
        var parts = RedisEndpoint.Split(':');
        try
        {
            using var client = new TcpClient();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(3));
            await client.ConnectAsync(parts[0], int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture), timeout.Token);
            var stream = client.GetStream();
            await stream.WriteAsync("PING\r\n"u8.ToArray(), timeout.Token);
            var buffer = new byte[16];
            var read = await stream.ReadAsync(buffer, timeout.Token);
            if (read == 0 || buffer[0] != (byte)'+')
            {
                Unavailable($"Redis at {RedisEndpoint} did not answer PING");
            }
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or IOException)
        {
            Unavailable($"Redis is needed at {RedisEndpoint}: {e.Message}");
        }
    }

    /// <summary>The headless browser the browser tests drive: <c>CHROMIUM</c> or Debian's <c>/usr/bin/chromium</c>.</summary>
    public static string ChromiumPath =>
        Environment.GetEnvironmentVariable("CHROMIUM") is { Length: > 0 } path ? path : "/usr/bin/chromium";

    /// <summary>The folder holding the browser driver script and its npm packages (<c>tests/browser</c>).</summary>
    public static string BrowserScripts => Path.Combine(RepositoryPaths.Root, "tests", "browser");

    /// <summary>
    /// Skips (locally) or fails (CI) unless Chromium, Node.js and the driver's npm packages are installed
    /// (<c>tools/test.sh</c> installs them: <c>apt-get install chromium</c>, <c>npm ci</c> in <c>tests/browser</c>).
    /// </summary>
    public static void Browser()
    {
        if (!File.Exists(ChromiumPath))
        {
            Unavailable($"Chromium is needed at {ChromiumPath} (apt-get install chromium)");
        }

        if (!Directory.Exists(Path.Combine(BrowserScripts, "node_modules", "playwright-core")))
        {
            Unavailable($"playwright-core is needed in {BrowserScripts} (npm ci there)");
        }
    }

    /// <summary>Skips (locally) or fails (CI) a test whose set-up this machine cannot give it, saying why.</summary>
    public static void Unavailable(string reason)
    {
        if (InCi)
        {
            Assert.Fail(reason + " (CI=true: missing services fail the run)");
        }

        Assert.Skip(reason);
    }

    private static async Task<string?> ProbeDockerAsync()
    {
        var endpoint = DockerEndpoint;
        if (!endpoint.StartsWith("unix://", StringComparison.Ordinal))
        {
            return null; // Remote engines are checked by the tests' own first call.
        }

        var path = endpoint["unix://".Length..];
        try
        {
            using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(3));
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), timeout.Token);
            await socket.SendAsync("GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n"u8.ToArray(), timeout.Token);
            var buffer = new byte[256];
            var read = await socket.ReceiveAsync(buffer, timeout.Token);
            var answer = System.Text.Encoding.ASCII.GetString(buffer, 0, read);
            return answer.Contains(" 200 ", StringComparison.Ordinal) ? null : $"unexpected answer from {endpoint}: {answer.Split('\n')[0]}";
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or IOException)
        {
            return $"cannot reach Docker at {endpoint}: {e.Message}";
        }
    }
}
