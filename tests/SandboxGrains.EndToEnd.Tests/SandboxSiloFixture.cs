namespace SandboxGrains.EndToEnd.Tests;

/// <summary>
/// One real embedded silo on real Docker, ready to create sandboxes. CPU overcommit is raised so parallel tests fit on
/// a two-core machine; every container of its runner is removed when it goes.
/// </summary>
public sealed class SandboxSiloFixture : IAsyncLifetime
{
    public SiloProcess Silo { get; private set; } = null!;

    public SandboxGrainsHttpClient Client { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        await Requirements.DockerAsync();
        Silo = SiloProcess.Start(new Dictionary<string, string> { ["Runner:CpuOvercommit"] = "32" });
        await Silo.WaitUntilAsync("/readyz", TimeSpan.FromSeconds(60));
        Client = SandboxGrainsHttpClient.Create(Silo.BaseAddress, Silo.ApiKey);
    }

    public async ValueTask DisposeAsync()
    {
        if (Silo is not null)
        {
            await Silo.DisposeAsync();
        }
    }
}
