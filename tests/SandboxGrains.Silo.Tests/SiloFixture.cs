using SandboxGrains.Testing;
using Xunit;

namespace SandboxGrains.Silo.Tests;

/// <summary>One real silo process shared by the tests of a class; it needs Docker to become ready.</summary>
public sealed class SiloFixture : IAsyncLifetime
{
    public SiloProcess Silo { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Silo = SiloProcess.Start();
        await Silo.WaitUntilAsync("/healthz", TimeSpan.FromSeconds(60));
    }

    public async ValueTask DisposeAsync() => await Silo.DisposeAsync();
}
