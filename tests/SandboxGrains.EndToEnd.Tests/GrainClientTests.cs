using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace SandboxGrains.EndToEnd.Tests;

/// <summary>The grain-client facade, connected as a real Orleans client to a real silo's gateway.</summary>
public sealed class GrainClientTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task GrainClient_CreateExecuteUploadDownloadDelete_Works()
    {
        await Requirements.DockerAsync();
        var gatewayPort = FreePort.Next();
        await using var silo = SiloProcess.Start(new Dictionary<string, string>
        {
            ["Orleans:Endpoints:GatewayPort"] = gatewayPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        await silo.WaitUntilAsync("/readyz", TimeSpan.FromSeconds(60), Ct);

        var builder = Host.CreateApplicationBuilder();
        builder.UseOrleansClient(client => client.UseLocalhostClustering(
            gatewayPort, serviceId: SandboxGrainsGrainClient.ClusterId, clusterId: SandboxGrainsGrainClient.ClusterId));
        using var host = builder.Build();
        await host.StartAsync(Ct);
        using var sandboxes = new SandboxGrainsGrainClient(host.Services.GetRequiredService<IClusterClient>(), previewBaseUrl: silo.BaseAddress);

        var sandbox = await sandboxes.CreateSandboxAsync(new CreateSandboxRequest { Image = "sandboxgrains/busybox:latest", Cpu = 0.25, MemoryMb = 64 }, Ct);
        Assert.Equal("started", sandbox.State);
        Assert.Equal("42", (await sandboxes.ExecuteAsync(sandbox.Id, "echo $((6*7))", cancellationToken: Ct)).Result.Trim());
        await sandboxes.UploadFileAsync(sandbox.Id, "/tmp/g.txt", new MemoryStream("grain"u8.ToArray()), Ct);
        await using (var read = await sandboxes.DownloadFileAsync(sandbox.Id, "/tmp/g.txt", Ct))
        using (var reader = new StreamReader(read))
        {
            Assert.Equal("grain", await reader.ReadToEndAsync(Ct));
        }

        // A preview made through the grain client serves busybox's httpd through the silo, and revoking it ends it.
        Assert.Equal(0, (await sandboxes.ExecuteAsync(sandbox.Id, "httpd -p 8080 -h /tmp", cancellationToken: Ct)).ExitCode);
        var preview = await sandboxes.CreatePreviewAsync(sandbox.Id, 8080, cancellationToken: Ct);
        Assert.StartsWith($"{silo.BaseAddress.GetLeftPart(UriPartial.Authority)}/preview/", preview.Url, StringComparison.Ordinal);
        using var browser = new HttpClient();
        Assert.Equal("grain", await browser.GetStringAsync($"{preview.Url}g.txt", Ct));
        Assert.Single(await sandboxes.ListPreviewsAsync(sandbox.Id, Ct));
        await sandboxes.RevokePreviewAsync(preview.Token!, Ct);
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await browser.GetAsync($"{preview.Url}g.txt", Ct)).StatusCode);
        Assert.Empty(await sandboxes.ListPreviewsAsync(sandbox.Id, Ct));

        Assert.Contains(await sandboxes.ListSandboxesAsync(cancellationToken: Ct), s => s.Id == sandbox.Id);
        var invalid = await Assert.ThrowsAsync<SandboxGrainsException>(() => sandboxes.CreateSandboxAsync(new CreateSandboxRequest { Cpu = -1 }, Ct));
        Assert.Equal(400, invalid.Status);

        await sandboxes.DeleteSandboxAsync(sandbox.Id, cancellationToken: Ct);
        var gone = await Assert.ThrowsAsync<SandboxGrainsException>(() => sandboxes.GetSandboxAsync(sandbox.Id, Ct));
        Assert.Equal("sandbox_not_found", gone.Code);
        await host.StopAsync(Ct);
    }
}
