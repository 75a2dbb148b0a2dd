using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Orleans.Hosting;
using Orleans.TestingHost;
using SandboxGrains.Docker.Sandboxes;
using SandboxGrains.Grains.Hosting;
using SandboxGrains.Grains.Runners;
using SandboxGrains.Runners;
using Xunit;

namespace SandboxGrains.Grains.Tests;

/// <summary>
/// An in-process cluster of two silos with memory storage; grain time runs on a fake clock the tests advance. The first
/// silo owns one runner, <see cref="RunnerId"/>, whose container work is <see cref="Containers"/>.
/// </summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    /// <summary>The runner the first silo owns; sandboxes are placed on it.</summary>
    public const string RunnerId = "runner-fixture";

    // Far more room than any test's sandboxes take, so placement always prefers this runner over the capacity-less
    // runners that runner tests register in the same cluster.
    internal static readonly RunnerResources Capacity = new(Cpu: 1000, MemoryMb: 1_000_000, Sandboxes: 1000);

    public FakeTimeProvider Time { get; } = new(DateTimeOffset.Parse("2026-11-23T08:00:00Z", System.Globalization.CultureInfo.InvariantCulture));

    public FakeSandboxContainers Containers { get; } = new();

    /// <summary>The route changes grains announced to each silo's front end.</summary>
    public RecordedRouteChanges RouteChanges { get; } = new();

    /// <summary>Every event the grains raised, per silo.</summary>
    public RecordedEvents Events { get; } = new();

    public InProcessTestCluster Cluster { get; private set; } = null!;

    public IGrainFactory Grains => Cluster.Client;

    public async ValueTask InitializeAsync()
    {
        var builder = new InProcessTestClusterBuilder(2);
        builder.ConfigureSilo((options, silo) =>
        {
            silo.AddMemoryGrainStorage(StorageNames.Sandboxes);
            silo.AddMemoryGrainStorage(StorageNames.Runners);
            silo.AddMemoryGrainStorage(StorageNames.Snapshots);
            silo.AddMemoryGrainStorage(StorageNames.Volumes);
            silo.Services.AddSingleton<SandboxGrains.Docker.RegistryManifests>();
            silo.Services.AddOptions<Grains.Snapshots.SnapshotOptions>();
            silo.AddSandboxGrains(new LocalRunner(options.SiloName == "Silo_0" ? RunnerId : null));
            silo.Services.AddSingleton<ISandboxContainers>(Containers);
            silo.Services.AddSingleton(RouteChanges);
            silo.AddGrainService<RecordingRouteInvalidationService>();
            silo.Services.AddSingleton(Events);
            silo.AddGrainService<RecordingEventService>();
            silo.UseInMemoryReminderService();
            silo.Services.AddSingleton<TimeProvider>(Time);
            // Membership and messaging keep real time; only grain logic sees the fake clock.
            silo.Services.UseTimeProviderForBackgroundAreas(TimeProvider.System);
        });
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    /// <summary>
    /// A heartbeat for <see cref="RunnerId"/>, as its silo's heartbeat service would send. Tests that advance the clock
    /// past the heartbeat timeout make the runner unreachable, so every create beats first.
    /// </summary>
    public Task BeatAsync() => Grains.GetGrain<IRunnerGrain>(RunnerId)
        .HeartbeatAsync(new RunnerHeartbeat("fake://runner", "Silo_0", Capacity, null, "fake"));

    public async ValueTask DisposeAsync() => await Cluster.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>
{
    public const string Name = "cluster";
}
