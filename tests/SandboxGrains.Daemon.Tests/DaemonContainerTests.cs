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
}
