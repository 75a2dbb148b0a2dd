using System.Diagnostics;
using System.Globalization;

namespace SandboxGrains.Testing;

/// <summary>
/// A second machine on this one, for the tests of a cluster across hosts: a Linux network namespace joined to this host
/// by one veth link (<see cref="HostAddress"/> here, <see cref="Address"/> there), with a Docker engine of its own inside
/// (its own data root, exec root, pid file, socket and bridge subnet). The engine's bridge subnet exists only inside the
/// namespace, so from this host its containers are out of reach except through a silo there — as with a real second
/// host. Needs root, <c>ip</c>, <c>nsenter</c> and <c>dockerd</c>. Disposing removes its containers, stops the engine and
/// deletes the namespace (and with it the link), so nothing it made is left.
/// </summary>
public sealed class SecondHost : IAsyncDisposable
{
    private readonly string _folder;
    private readonly List<string> _engineLog = [];
    private Process? _engine;

    private SecondHost(int subnet)
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        Namespace = $"sandboxgrains-{tag}";
        Link = $"sg{tag}";
        HostAddress = $"10.213.{subnet.ToString(CultureInfo.InvariantCulture)}.1";
        Address = $"10.213.{subnet.ToString(CultureInfo.InvariantCulture)}.2";
        BridgeSubnet = $"10.214.{subnet.ToString(CultureInfo.InvariantCulture)}.1/24";
        ContainerNetworks = $"10.215.{subnet.ToString(CultureInfo.InvariantCulture)}.0/24";
        _folder = Directory.CreateTempSubdirectory("sandboxgrains-host-").FullName;
    }

    /// <summary>The network namespace's name (for <see cref="SiloProcess.Start"/>).</summary>
    public string Namespace { get; }

    /// <summary>This host's end of the link: what the second host reaches this one at.</summary>
    public string HostAddress { get; }

    /// <summary>The second host's address on the link.</summary>
    public string Address { get; }

    /// <summary>The second engine's bridge (its containers' subnet), as <c>dockerd --bip</c> takes it.</summary>
    public string BridgeSubnet { get; }

    /// <summary>
    /// Where the second engine's own networks (the sandboxes' <c>sandboxgrains</c> bridge) take their subnets from:
    /// apart from this host's, as on a real second machine, so an address of one of its containers leads nowhere here
    /// (with Docker's default pool both engines would hand out 172.17.0.x, and "straight" would reach a container of this
    /// host instead — the very mistake the relay exists to prevent).
    /// </summary>
    public string ContainerNetworks { get; }

    /// <summary><c>DOCKER_HOST</c> of the second engine (its socket is a file, reachable from this host too).</summary>
    public string DockerHost => $"unix://{_folder}/docker.sock";

    private string Link { get; }

    /// <summary>Makes the namespace and link, starts the engine and loads <paramref name="images"/> into it from this host's engine.</summary>
    public static async Task<SecondHost> StartAsync(params string[] images)
    {
        var host = new SecondHost(Random.Shared.Next(1, 250));
        try
        {
            await host.BringUpAsync(images);
            return host;
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }
    }

    /// <summary>Runs the docker CLI against the second engine; throws with its stderr when it fails.</summary>
    public async Task<string> DockerAsync(params string[] arguments)
    {
        var result = await ProcessRunner.RunAsync("docker", ["--host", DockerHost, .. arguments], TimeSpan.FromSeconds(120));
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"docker {string.Join(' ', arguments)} on the second host failed ({result.ExitCode}): {result.Stderr.Trim()}");
        }

        return result.Stdout.Trim();
    }

    /// <summary>A container's address on the second engine's bridge.</summary>
    public Task<string> ContainerAddressAsync(string container) =>
        DockerAsync("inspect", "--format", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", container);

    private async Task BringUpAsync(string[] images)
    {
        await RunAsync("ip", "netns", "add", Namespace);
        await RunAsync("ip", "link", "add", Link + "a", "type", "veth", "peer", "name", Link + "b");
        await RunAsync("ip", "link", "set", Link + "b", "netns", Namespace);
        await RunAsync("ip", "addr", "add", HostAddress + "/30", "dev", Link + "a");
        await RunAsync("ip", "link", "set", Link + "a", "up");
        await RunAsync("ip", "-n", Namespace, "addr", "add", Address + "/30", "dev", Link + "b");
        await RunAsync("ip", "-n", Namespace, "link", "set", Link + "b", "up");
        await RunAsync("ip", "-n", Namespace, "link", "set", "lo", "up");

        // `ip netns exec` would also give dockerd a mount namespace with a fresh /sys, without the cgroup mounts it
        // needs; nsenter changes the network namespace alone.
        _engine = ServerProcess.Start(
            "nsenter",
            [
                $"--net=/var/run/netns/{Namespace}", "dockerd",
                "--data-root", Path.Combine(_folder, "data"), "--exec-root", Path.Combine(_folder, "exec"),
                "--pidfile", Path.Combine(_folder, "docker.pid"), "--host", DockerHost, "--bip", BridgeSubnet,
                "--default-address-pool", $"base={ContainerNetworks},size=26",
            ],
            line => { lock (_engineLog) { _engineLog.Add(line); } });
        var deadline = Stopwatch.StartNew();
        while ((await ProcessRunner.RunAsync("docker", ["--host", DockerHost, "info"], TimeSpan.FromSeconds(10))).ExitCode != 0)
        {
            if (_engine.HasExited || deadline.Elapsed > TimeSpan.FromSeconds(60))
            {
                lock (_engineLog)
                {
                    throw new InvalidOperationException($"the second host's dockerd did not come up:\n{string.Join('\n', _engineLog.TakeLast(20))}");
                }
            }

            await Task.Delay(250);
        }

        if (images.Length > 0)
        {
            // No registry between the two engines: the images go over as a tar stream.
            await RunAsync("sh", "-c", $"docker save {string.Join(' ', images)} | docker --host {DockerHost} load -q");
        }
    }

    private static async Task RunAsync(string file, params string[] arguments)
    {
        var result = await ProcessRunner.RunAsync(file, arguments, TimeSpan.FromSeconds(180));
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} failed ({result.ExitCode}): {result.Stderr.Trim()}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_engine is { HasExited: false })
        {
            var containers = await ProcessRunner.RunAsync("docker", ["--host", DockerHost, "ps", "-aq"], TimeSpan.FromSeconds(30));
            var ids = containers.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (ids.Length > 0)
            {
                await ProcessRunner.RunAsync("docker", ["--host", DockerHost, "rm", "-f", .. ids], TimeSpan.FromSeconds(60));
            }

            // SIGTERM lets dockerd unmount its layers and stop its containerd; only a hung one is killed.
            await ProcessRunner.RunAsync("kill", ["-TERM", _engine.Id.ToString(CultureInfo.InvariantCulture)]);
            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            try
            {
                await _engine.WaitForExitAsync(grace.Token);
            }
            catch (OperationCanceledException)
            {
                _engine.Kill(entireProcessTree: true);
            }
        }

        _engine?.Dispose();

        // The link goes first and by name: a namespace whose name is deleted lives on while the kernel still holds a
        // reference to it (seen here after the engine stopped), and its end of the link with it.
        await ProcessRunner.RunAsync("ip", ["link", "delete", Link + "a"], TimeSpan.FromSeconds(30));
        await ProcessRunner.RunAsync("ip", ["netns", "delete", Namespace], TimeSpan.FromSeconds(30));
        await ProcessRunner.RunAsync("umount", ["--recursive", "--lazy", _folder], TimeSpan.FromSeconds(30));
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A layer still mounted by a dockerd that had to be killed: the folder is under the temporary directory.
        }
    }
}
