using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace SandboxGrains.EndToEnd.Tests;

/// <summary>
/// Seed 003's global daemon-proxy API against a container started outside the cluster with <c>docker run … sleep</c>:
/// inject, status, a preview link fetched through the silo, remove (daemon gone, container running), inject again.
/// </summary>
public sealed class GlobalDaemonProxyTests(SandboxSiloFixture fixture) : IClassFixture<SandboxSiloFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task InjectStatusPreviewRemoveInjectAgain_OnAContainerStartedByHand()
    {
        var name = $"seed003-{Guid.NewGuid():N}"[..20];
        await ProcessRunner.DockerAsync("run", "-d", "--name", name, "sandboxgrains/base:latest", "sleep", "1d");
        using var http = fixture.Silo.CreateClient();
        string? sandboxId = null;
        try
        {
            var injected = await PostAsync(http, $"/api/daemon-proxy/container/{name}/inject");
            Assert.Equal(("injected", true, true), (injected.GetProperty("status").GetString(), injected.GetProperty("injected").GetBoolean(), injected.GetProperty("daemonRunning").GetBoolean()));
            sandboxId = injected.GetProperty("sandboxId").GetString()!;

            // Injecting twice changes nothing.
            var again = await PostAsync(http, $"/api/daemon-proxy/container/{name}/inject");
            Assert.Equal(("already_injected", sandboxId), (again.GetProperty("status").GetString(), again.GetProperty("sandboxId").GetString()));

            var status = await http.GetFromJsonAsync<JsonElement>($"/api/daemon-proxy/container/{name}/status", Ct);
            Assert.Equal(("started", sandboxId), (status.GetProperty("state").GetString(), status.GetProperty("sandboxId").GetString()));

            // An app in the container, reached through a link made by container name.
            await ProcessRunner.DockerAsync("exec", "-d", name, "python3", "-m", "http.server", "8080", "--directory", "/etc");
            var preview = await PostAsync(http, $"/api/daemon-proxy/container/{name}/preview/8080");
            var url = preview.GetProperty("url").GetString()!;
            Assert.Contains(preview.GetProperty("token").GetString()!, url, StringComparison.Ordinal);
            using var browser = new HttpClient(PreviewApp.LoopbackHandler(fixture.Silo));
            var page = await Eventually.WaitAsync(
                async () => { using var r = await browser.GetAsync($"{url}hostname", Ct); return (r.StatusCode, Body: await r.Content.ReadAsStringAsync(Ct)); },
                r => r.StatusCode == HttpStatusCode.OK,
                TimeSpan.FromSeconds(15),
                "the app answering through the link");
            Assert.False(string.IsNullOrWhiteSpace(page.Body));

            var service = await http.GetFromJsonAsync<JsonElement>("/api/daemon-proxy/service/status", Ct);
            Assert.Equal("healthy", service.GetProperty("status").GetString());
            Assert.Contains(service.GetProperty("containers").EnumerateArray(), c => c.GetProperty("sandboxId").GetString() == sandboxId);

            // Removed: the daemon leaves, the container keeps running, its links die.
            var removed = await PostAsync(http, $"/api/daemon-proxy/container/{name}/remove");
            Assert.Equal(("removed", false), (removed.GetProperty("status").GetString(), removed.GetProperty("injected").GetBoolean()));
            Assert.Equal("running", await Containers.StatusAsync(name));
            await Eventually.WaitAsync(
                async () => (await ProcessRunner.RunAsync("docker", ["exec", name, "pgrep", "-f", "/opt/sandboxgrains/sandboxd"], cancellationToken: Ct)).ExitCode,
                code => code == 1,
                TimeSpan.FromSeconds(5),
                "the daemon leaving the container");
            Assert.Equal(HttpStatusCode.NotFound, (await browser.GetAsync(url, Ct)).StatusCode);
            var after = await http.GetFromJsonAsync<JsonElement>($"/api/daemon-proxy/container/{name}/status", Ct);
            Assert.Equal(("not_injected", false), (after.GetProperty("status").GetString(), after.GetProperty("injected").GetBoolean()));

            var back = await PostAsync(http, $"/api/daemon-proxy/container/{name}/inject");
            Assert.Equal("injected", back.GetProperty("status").GetString());
            Assert.NotEqual(sandboxId, back.GetProperty("sandboxId").GetString());
            sandboxId = back.GetProperty("sandboxId").GetString();
        }
        finally
        {
            if (sandboxId is not null)
            {
                await http.PostAsync($"/api/daemon-proxy/container/{name}/remove", null, CancellationToken.None);
            }

            await ProcessRunner.RunAsync("docker", ["rm", "-f", name], cancellationToken: CancellationToken.None);
        }
    }

    [Fact]
    public async Task UnknownContainer_IsA404Problem_AndNoKeyIsA401()
    {
        using var http = fixture.Silo.CreateClient();
        using var missing = await http.PostAsync("/api/daemon-proxy/container/no-such-container-anywhere/inject", null, Ct);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("container_not_found", (await missing.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("code").GetString());

        using var anonymous = fixture.Silo.CreateClient(authenticated: false);
        using var refused = await anonymous.GetAsync("/api/daemon-proxy/service/status", Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
    }

    private static async Task<JsonElement> PostAsync(HttpClient http, string path)
    {
        using var response = await http.PostAsync(path, null, Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path} answered {(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }
}
