using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Orleans.Hosting;
using Orleans.TestingHost;
using SandboxGrains.Grains.Hosting;
using SandboxGrains.Grains.Runners;
using Xunit;

namespace SandboxGrains.Grains.Tests;

/// <summary>An in-process cluster of two silos with memory storage; grain time runs on a fake clock the tests advance.</summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    public FakeTimeProvider Time { get; } = new(DateTimeOffset.Parse("2026-11-23T08:00:00Z", System.Globalization.CultureInfo.InvariantCulture));

    public InProcessTestCluster Cluster { get; private set; } = null!;

    public IGrainFactory Grains => Cluster.Client;

    public async ValueTask InitializeAsync()
    {
        var builder = new InProcessTestClusterBuilder(2);
        builder.ConfigureSilo((_, silo) =>
        {
            silo.AddMemoryGrainStorage(StorageNames.Sandboxes);
            silo.AddMemoryGrainStorage(StorageNames.Runners);
            silo.AddSandboxGrains(new LocalRunner(null));
            silo.Services.AddSingleton<TimeProvider>(Time);
            // Membership and messaging keep real time; only grain logic sees the fake clock.
            silo.Services.UseTimeProviderForBackgroundAreas(TimeProvider.System);
        });
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    public async ValueTask DisposeAsync() => await Cluster.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>
{
    public const string Name = "cluster";
}
