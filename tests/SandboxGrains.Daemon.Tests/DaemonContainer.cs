using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Net.Http.Headers;
using SandboxGrains.Testing;
using Xunit;

namespace SandboxGrains.Daemon.Tests;

/// <summary>
/// A real container running the published bundle, mounted read-only at /opt/sandboxgrains, with sandboxd as PID 1.
/// Tests reach the daemon through a port published on 127.0.0.1.
/// </summary>
public sealed class DaemonContainer : IAsyncDisposable
{
    public const string Token = "daemon-test-secret-0123456789";

    private DaemonContainer(string name, int port)
    {
        Name = name;
        BaseAddress = new Uri($"http://127.0.0.1:{port}");
    }

    public string Name { get; }

    public Uri BaseAddress { get; }

    /// <summary>The published bundle (<c>dotnet publish src/SandboxGrains.Daemon -c Release</c> puts it here).</summary>
    public static string BundlePath => Path.Combine(RepositoryPaths.Root, "artifacts", "sandboxd");

    public static Task<DaemonContainer> StartAsync(string image, params string[] entrypoint) =>
        LaunchAsync(image, ["-e", $"SANDBOXD_TOKEN={Token}"], [], entrypoint, waitForVersion: true);

    /// <summary>sandboxd reading its secret from <paramref name="tokenFile"/>, which need not exist yet; returns once the daemon answers at all.</summary>
    public static async Task<DaemonContainer> StartWithTokenFileAsync(string image, string tokenFile, params string[] entrypoint)
    {
        var container = await LaunchAsync(image, [], ["--token-file", tokenFile], entrypoint, waitForVersion: false);
        await container.WaitForVersionAsync(answeredAtAll: true);
        return container;
    }

    private static async Task<DaemonContainer> LaunchAsync(string image, string[] dockerArgs, string[] daemonArgs, string[] entrypoint, bool waitForVersion)
    {
        await Requirements.DockerAsync();
        if (!File.Exists(Path.Combine(BundlePath, "sandboxd")))
        {
            Assert.Fail($"the daemon bundle is missing at {BundlePath}: run dotnet publish src/SandboxGrains.Daemon -c Release (tools/test.sh does)");
        }

        var name = $"sgd-test-{Guid.NewGuid():N}"[..24];
        List<string> args =
        [
            "run", "-d", "--name", name, "--label", "sandboxgrains.test=daemon",
            "-v", $"{BundlePath}:/opt/sandboxgrains:ro", .. dockerArgs, "-p", "127.0.0.1::2280",
            "--entrypoint", "/opt/sandboxgrains/sandboxd", image, "--work-dir", "/work", .. daemonArgs,
        ];
        if (entrypoint.Length > 0)
        {
            args.Add("--");
            args.AddRange(entrypoint);
        }

        await ProcessRunner.DockerAsync([.. args]);
        var container = new DaemonContainer(name, 0);
        var state = await ProcessRunner.DockerAsync("inspect", "--format", "{{.State.Running}}", name);
        if (state != "true")
        {
            var logs = await ProcessRunner.RunAsync("docker", ["logs", name]);
            await container.DisposeAsync();
            Assert.Fail($"the container with sandboxd as PID 1 is not running; logs:\n{logs.Stdout}{logs.Stderr}");
        }

        var mapped = await ProcessRunner.DockerAsync("port", name, "2280/tcp");
        var port = int.Parse(mapped.Split('\n')[0].Split(':')[^1], System.Globalization.CultureInfo.InvariantCulture);
        container = new DaemonContainer(name, port);
        if (waitForVersion)
        {
            await container.WaitForVersionAsync();
        }

        return container;
    }

    public HttpClient CreateClient(bool withToken = true, string secret = Token)
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(120) };
        if (withToken)
        {
            client.DefaultRequestHeaders.Add("X-Sandbox-Daemon-Token", secret);
        }

        client.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        return client;
    }

    /// <summary>Sends <paramref name="body"/> as JSON to <paramref name="path"/>; the status and the JSON answer (null when empty).</summary>
    public Task<(HttpStatusCode Status, JsonElement? Body)> PostJsonAsync(string path, object body, CancellationToken cancellationToken) =>
        SendJsonAsync(HttpMethod.Post, path, body, cancellationToken);

    /// <summary>A request with an optional JSON body; the status and the JSON answer (null when empty).</summary>
    public async Task<(HttpStatusCode Status, JsonElement? Body)> SendJsonAsync(HttpMethod method, string path, object? body, CancellationToken cancellationToken)
    {
        using var client = CreateClient();
        using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
        using var response = await client.SendAsync(request, cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        return (response.StatusCode, text.Length == 0 ? null : JsonDocument.Parse(text).RootElement);
    }

    private async Task WaitForVersionAsync(bool answeredAtAll = false)
    {
        using var client = CreateClient();
        client.Timeout = TimeSpan.FromSeconds(2);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        var last = "";
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                using var response = await client.GetAsync("/version");
                if (response.IsSuccessStatusCode || answeredAtAll)
                {
                    return;
                }

                last = response.StatusCode.ToString();
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                last = e.Message;
            }

            await Task.Delay(100);
        }

        var logs = await ProcessRunner.RunAsync("docker", ["logs", Name]);
        throw new TimeoutException($"sandboxd in {Name} did not answer /version ({last}); logs:\n{logs.Stdout}{logs.Stderr}");
    }

    public async ValueTask DisposeAsync() => await ProcessRunner.RunAsync("docker", ["rm", "-f", Name]);
}

/// <summary>One daemon container shared by the tests of a class.</summary>
public abstract class DaemonFixture(string image, params string[] entrypoint) : IAsyncLifetime
{
    public DaemonContainer Container { get; private set; } = null!;

    public async ValueTask InitializeAsync() => Container = await DaemonContainer.StartAsync(image, entrypoint);

    public async ValueTask DisposeAsync()
    {
        if (Container is not null)
        {
            await Container.DisposeAsync();
        }
    }
}

/// <summary>busybox: a shell and its applets, no libc, no git or Python.</summary>
public sealed class BusyboxDaemonFixture() : DaemonFixture("sandboxgrains/busybox:latest", "sh");

/// <summary>sandboxgrains/dev: Debian with Python, git and Node.js.</summary>
public sealed class DevDaemonFixture() : DaemonFixture("sandboxgrains/dev:latest");
