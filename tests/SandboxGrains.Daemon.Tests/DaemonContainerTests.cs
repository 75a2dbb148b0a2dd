using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using SandboxGrains.Testing;
using Xunit;

namespace SandboxGrains.Daemon.Tests;

/// <summary>The bundle in other images, and sandboxd's life as a container's init.</summary>
public sealed class DaemonContainerTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Bundle_InDebianBaseImage_AnswersAndRunsPython()
    {
        await using var container = await DaemonContainer.StartAsync("sandboxgrains/base:latest");
        using var client = container.CreateClient();

        using var response = await client.PostAsJsonAsync("/process/execute", new { command = "python3 -c 'print(6 * 7)'" }, Ct);

        var body = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal(0, body.GetProperty("exitCode").GetInt32());
        Assert.Equal("42\n", body.GetProperty("result").GetString());
        using var anonymous = container.CreateClient(withToken: false);
        using var refused = await anonymous.GetAsync("/version", Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
    }

    [Fact]
    public async Task Bundle_InMuslImage_Answers_AndCommandsRunOnTheImagesOwnLibc()
    {
        await using var container = await DaemonContainer.StartAsync("sandboxgrains/musl:latest");
        using var client = container.CreateClient();

        // hello-musl is dynamically linked against the image's musl: it runs only if the daemon's own glibc stays out of
        // the commands it starts. No glibc exists in the image for anything else to pick up.
        using var response = await client.PostAsJsonAsync("/process/execute", new { command = "hello-musl; ls /lib; find / -xdev -name 'libc.so*' | wc -l" }, Ct);

        var body = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal(0, body.GetProperty("exitCode").GetInt32());
        Assert.Equal("hello from musl\nld-musl-x86_64.so.1\n0\n", body.GetProperty("result").GetString());
        using var anonymous = container.CreateClient(withToken: false);
        using var refused = await anonymous.GetAsync("/version", Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
    }

    [Fact]
    public async Task Bundle_InDistrolessImage_ServesFiles_AndSaysThereIsNoShellForCommands()
    {
        // The image's own entrypoint runs as the daemon's child, as it does in a sandbox.
        await using var container = await DaemonContainer.StartAsync("sandboxgrains/distroless:latest", "/app/sleep", "600");
        using var client = container.CreateClient();

        using (var upload = await client.PostAsync("/files/upload?path=/tmp/config.json", new StringContent("{\"ok\":true}"), Ct))
        {
            Assert.Equal(HttpStatusCode.OK, upload.StatusCode);
        }

        Assert.Equal("{\"ok\":true}", await client.GetStringAsync("/files/download?path=/tmp/config.json", Ct));
        using var listing = await client.GetAsync("/files?path=/app", Ct);
        Assert.Equal(HttpStatusCode.OK, listing.StatusCode);
        Assert.Contains("sleep", await listing.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);

        using var command = await client.PostAsJsonAsync("/process/execute", new { command = "echo hi" }, Ct);
        var body = await command.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.NotEqual(0, body.GetProperty("exitCode").GetInt32());
        Assert.Contains("no shell", body.GetProperty("result").GetString(), StringComparison.Ordinal);
        Assert.Equal("true", await ProcessRunner.DockerAsync("inspect", "--format", "{{.State.Running}}", container.Name));
    }

    [Fact]
    public async Task SecretFile_WrittenAfterStart_IsTakenUp_AndARewrittenOneReplacesIt()
    {
        // The cluster starts a sandbox first and uploads the secret into it after: until then nothing may pass.
        const string file = "/run/sandboxgrains-test/daemon-token";
        await using var container = await DaemonContainer.StartWithTokenFileAsync("sandboxgrains/busybox:latest", file, "sleep", "600");
        using var client = container.CreateClient();
        using (var early = await client.GetAsync("/version", Ct))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, early.StatusCode);
        }

        await ProcessRunner.DockerAsync("exec", container.Name, "sh", "-c", $"mkdir -p /run/sandboxgrains-test && printf '%s' '{DaemonContainer.Token}' > {file}");
        using (var taken = await client.GetAsync("/version", Ct))
        {
            Assert.Equal(HttpStatusCode.OK, taken.StatusCode);
        }

        // A restored archive gets the secret of the grain that restores it: the old one stops working at once.
        await ProcessRunner.DockerAsync("exec", container.Name, "sh", "-c", $"echo second-secret-0123456789 > {file}");
        using var second = container.CreateClient(secret: "second-secret-0123456789");
        using (var replaced = await second.GetAsync("/version", Ct))
        {
            Assert.Equal(HttpStatusCode.OK, replaced.StatusCode);
        }

        using var old = await client.GetAsync("/version", Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, old.StatusCode);
        using var anonymous = container.CreateClient(withToken: false);
        using var refused = await anonymous.GetAsync("/version", Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
    }

    [Fact]
    public async Task Daemon_HoldsNoInotifyInstance_SoHundredsOfSandboxesFitTheKernelsPerUserLimit()
    {
        // Every sandbox's daemon runs as root in the same user namespace; the kernel allows 128 inotify instances per
        // user by default, and a daemon that watched its configuration made the 128th sandbox crash at start.
        await using var container = await DaemonContainer.StartAsync("sandboxgrains/busybox:latest", "sleep", "600");
        var pid = await ProcessRunner.DockerAsync("inspect", "--format", "{{.State.Pid}}", container.Name);

        var descriptors = Directory.GetFiles($"/proc/{pid}/fd").Select(fd => new FileInfo(fd).LinkTarget).ToList();

        Assert.NotEmpty(descriptors);
        Assert.DoesNotContain(descriptors, target => target?.Contains("inotify", StringComparison.Ordinal) == true);
    }

    [Fact]
    public async Task Sigterm_EndsTheContainerCleanly_NotByKill()
    {
        await using var container = await DaemonContainer.StartAsync("sandboxgrains/busybox:latest", "sleep", "600");

        // docker stop sends SIGTERM and waits up to 30 s before SIGKILL; a clean exit code shows SIGTERM was handled
        // (forwarded to the child, daemon stopped) rather than the container being killed (137).
        await ProcessRunner.DockerAsync("stop", "-t", "30", container.Name);

        Assert.Equal("0", await ProcessRunner.DockerAsync("inspect", "--format", "{{.State.ExitCode}}", container.Name));
    }

    [Fact]
    public async Task Daemon_IntroducesItsContainerToTheHost_SoAReusedAddressAnswersAtOnce()
    {
        // Docker hands a removed container's address to the next one. When the host had sent to that address after the old
        // container was gone, its neighbour entry is FAILED, and the host finds a new container there only when it sends
        // something itself and an ARP round (up to a second) resolves it. The daemon's datagram to its gateway resolves it
        // at start: the host takes the container's link address from the container's own ARP request.
        await Requirements.DockerAsync();
        if (!File.Exists(Path.Combine(DaemonContainer.BundlePath, "sandboxd")))
        {
            Assert.Fail($"the daemon bundle is missing at {DaemonContainer.BundlePath}: run dotnet publish src/SandboxGrains.Daemon -c Release (tools/test.sh does)");
        }

        var network = $"sgd-neigh-{Guid.NewGuid():N}"[..20];
        // Docker takes a fixed --ip only on a network with a subnet of the user's; a random /24 that clashes with none here.
        var prefix = "";
        var refusals = new List<string>();
        for (var attempt = 0; attempt < 5 && prefix.Length == 0; attempt++)
        {
            var candidate = $"10.214.{Random.Shared.Next(256)}";
            var created = await ProcessRunner.RunAsync(
                "docker", ["network", "create", "--label", "sandboxgrains.test=daemon", "--subnet", candidate + ".0/24", network], cancellationToken: Ct);
            prefix = created.ExitCode == 0 ? candidate : "";
            refusals.Add(created.Stderr.Trim());
        }

        Assert.True(prefix.Length > 0, $"no 10.214.N.0/24 network could be made: {string.Join("; ", refusals)}");
        List<string> containers = [];
        try
        {
            var bridge = "br-" + (await ProcessRunner.DockerAsync("network", "inspect", "--format", "{{.Id}}", network))[..12];
            if ((await ProcessRunner.RunAsync("ip", ["link", "show", "dev", bridge], cancellationToken: Ct)).ExitCode != 0)
            {
                Requirements.Unavailable($"the network's bridge {bridge} is not in this test's network namespace (a remote or rootless Docker engine)");
            }
            var daemonAddress = prefix + ".10";
            var plainAddress = prefix + ".11";

            // As a closed connection's retransmissions do: the host sends to both addresses while nothing is there.
            using (var udp = new System.Net.Sockets.UdpClient())
            {
                foreach (var address in new[] { daemonAddress, plainAddress })
                {
                    await udp.SendAsync(new byte[] { 0 }, new IPEndPoint(IPAddress.Parse(address), 9), Ct);
                }
            }

            Assert.True(await NeighbourStateAsync(bridge, daemonAddress, s => s.Contains("FAILED", StringComparison.Ordinal)), "the host's ARP for a missing address should fail");
            Assert.True(await NeighbourStateAsync(bridge, plainAddress, s => s.Contains("FAILED", StringComparison.Ordinal)), "the host's ARP for a missing address should fail");

            var bundle = $"{DaemonContainer.BundlePath}:/opt/sandboxgrains:ro";
            foreach (var (address, command) in new[]
            {
                (daemonAddress, new[] { "--entrypoint", "/opt/sandboxgrains/sandboxd", "sandboxgrains/busybox:latest", "--work-dir", "/work", "--token-file", "/run/none", "--", "sleep", "600" }),
                (plainAddress, new[] { "sandboxgrains/busybox:latest", "sleep", "600" }),
            })
            {
                var name = $"sgd-test-{Guid.NewGuid():N}"[..24];
                containers.Add(name);
                await ProcessRunner.DockerAsync(["run", "-d", "--name", name, "--label", "sandboxgrains.test=daemon", "--network", network, "--ip", address, "-v", bundle, .. command]);
            }

            var known = await NeighbourStateAsync(bridge, daemonAddress, s => s.Contains(" lladdr ", StringComparison.Ordinal));
            Assert.Equal("true", await ProcessRunner.DockerAsync("inspect", "--format", "{{.State.Running}}", containers[0]));

            // The control: a container without the daemon. An engine that announces containers itself leaves nothing to prove.
            await Task.Delay(TimeSpan.FromSeconds(1), Ct);
            var plainKnown = (await ProcessRunner.RunAsync("ip", ["neigh", "show", "to", plainAddress, "dev", bridge], cancellationToken: Ct)).Stdout;
            if (plainKnown.Contains(" lladdr ", StringComparison.Ordinal))
            {
                Assert.Skip($"this Docker engine announces new containers itself ({plainAddress}: {plainKnown.Trim()}); nothing left to prove");
            }

            Assert.True(known, $"the host should know the daemon's container at {daemonAddress} without having sent to it (a plain container's entry: {plainKnown.Trim()})");
        }
        finally
        {
            foreach (var name in containers)
            {
                await ProcessRunner.RunAsync("docker", ["rm", "-f", name], cancellationToken: CancellationToken.None);
            }

            await ProcessRunner.RunAsync("docker", ["network", "rm", network], cancellationToken: CancellationToken.None);
        }
    }

    /// <summary>Polls the host's neighbour entry for <paramref name="address"/> on <paramref name="bridge"/> for up to 10 s until <paramref name="holds"/>.</summary>
    private static async Task<bool> NeighbourStateAsync(string bridge, string address, Func<string, bool> holds)
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var entry = await ProcessRunner.RunAsync("ip", ["neigh", "show", "to", address, "dev", bridge], cancellationToken: Ct);
            if (holds(entry.Stdout))
            {
                return true;
            }

            await Task.Delay(100, Ct);
        }

        return false;
    }
}
