using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;

namespace SandboxGrains.Testing;

/// <summary>
/// A private Docker distribution registry (Debian's <c>docker-registry</c>) on a free loopback port, its storage in a
/// temporary folder, with htpasswd authentication when a user is given. Docker trusts registries on 127.0.0.0/8 without
/// TLS, so the engine pulls from it as it would from any registry. Images are pushed with a Docker CLI configuration of
/// the test's own, so nothing is written to the machine's <c>~/.docker</c>.
/// </summary>
public sealed class RegistryServer : IAsyncDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("sandboxgrains-registry-").FullName;
    private readonly List<string> _log = [];
    private Process? _process;

    private RegistryServer(int port, string? username, string? password)
    {
        Port = port;
        Username = username;
        Password = password;
    }

    public int Port { get; }

    /// <summary>The registry host as image references name it: <c>127.0.0.1:port</c>.</summary>
    public string Host => $"127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}";

    public string? Username { get; }

    public string? Password { get; }

    /// <summary>What the registry logged so far (its access log included).</summary>
    public string Log
    {
        get
        {
            lock (_log)
            {
                return string.Join('\n', _log);
            }
        }
    }

    /// <summary>Starts a registry; with <paramref name="username"/>, every request needs that user and password.</summary>
    public static async Task<RegistryServer> StartAsync(string? username = null, string? password = null)
    {
        if (!File.Exists("/usr/bin/docker-registry"))
        {
            Requirements.Unavailable("Debian's docker-registry is needed (apt-get install docker-registry; tools/test.sh installs it)");
        }

        var server = new RegistryServer(FreePort.Next(), username, password);
        await server.StartCoreAsync();
        return server;
    }

    /// <summary>
    /// Copies a local image into the registry as <paramref name="repositoryAndTag"/> (<c>team/app:1</c>) and returns the full
    /// reference (<c>127.0.0.1:port/team/app:1</c>); the registry tag is removed from the engine again, so only the registry has it.
    /// </summary>
    public async Task<string> PushAsync(string localImage, string repositoryAndTag)
    {
        var reference = $"{Host}/{repositoryAndTag}";
        var config = Path.Combine(_folder, "docker-cli");
        Directory.CreateDirectory(config);
        await ProcessRunner.DockerAsync("tag", localImage, reference);
        try
        {
            if (Username is not null)
            {
                await ProcessRunner.DockerAsync("--config", config, "login", Host, "--username", Username, "--password", Password ?? "");
            }

            await ProcessRunner.DockerAsync("--config", config, "push", reference);
        }
        finally
        {
            await ProcessRunner.RunAsync("docker", ["rmi", reference]);
        }

        return reference;
    }

    /// <summary>
    /// Builds an image with a layer of <paramref name="megabytes"/> MB of random bytes (and a file <c>/marker</c> saying
    /// <c>pulled</c>) on top of the busybox test image, pushes it here and removes it from the engine, so whoever starts
    /// it must download that layer. Returns the full reference.
    /// </summary>
    public async Task<string> PushFreshImageAsync(string repository, int megabytes)
    {
        var folder = Directory.CreateTempSubdirectory("sandboxgrains-image-").FullName;
        var local = $"sandboxgrains-test/{repository}:{Guid.NewGuid():N}";
        try
        {
            await File.WriteAllTextAsync(Path.Combine(folder, "Dockerfile"), $"""
                FROM sandboxgrains/busybox:latest
                RUN head -c {megabytes * 1024 * 1024} /dev/urandom > /blob && echo pulled > /marker
                """);
            await ProcessRunner.DockerAsync("build", "--quiet", "--tag", local, folder);
            return await PushAsync(local, $"{repository}:{Guid.NewGuid():N}"[..(repository.Length + 13)]);
        }
        finally
        {
            await ProcessRunner.RunAsync("docker", ["rmi", "--force", local]);
            Directory.Delete(folder, recursive: true);
        }
    }

    private async Task StartCoreAsync()
    {
        var storage = Path.Combine(_folder, "storage");
        Directory.CreateDirectory(storage);
        var auth = "";
        if (Username is not null)
        {
            var htpasswd = await ProcessRunner.RunAsync("htpasswd", ["-Bbn", Username, Password ?? ""]);
            if (htpasswd.ExitCode != 0)
            {
                throw new InvalidOperationException($"htpasswd failed: {htpasswd.Stderr}");
            }

            await File.WriteAllTextAsync(Path.Combine(_folder, "htpasswd"), htpasswd.Stdout);
            auth = $"auth:\n  htpasswd:\n    realm: sandboxgrains-test\n    path: {Path.Combine(_folder, "htpasswd")}\n";
        }

        var configFile = Path.Combine(_folder, "config.yml");
        await File.WriteAllTextAsync(configFile, $"""
            version: 0.1
            log:
              level: info
              accesslog:
                disabled: false
            storage:
              filesystem:
                rootdirectory: {storage}
              delete:
                enabled: true
            http:
              addr: {Host}
            {auth}
            """);

        _process = ServerProcess.Start("docker-registry", ["serve", configFile], Keep);

        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!await AcceptsAsync())
        {
            if (_process.HasExited || DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"docker-registry on {Host} did not start: {Log}");
            }

            await Task.Delay(50);
        }
    }

    private void Keep(string line)
    {
        lock (_log)
        {
            _log.Add(line);
        }
    }

    private async Task<bool> AcceptsAsync()
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync("127.0.0.1", Port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await ServerProcess.KillAsync(_process);
        Directory.Delete(_folder, recursive: true);
    }
}
