using System.Net;
using System.Net.Sockets;
using Orleans.Configuration;
using Orleans.Runtime.Hosting;
using SandboxGrains.Docker;
using SandboxGrains.Docker.Sandboxes;
using SandboxGrains.Grains.Hosting;
using SandboxGrains.Grains.Runners;
using SandboxGrains.Grains.Sandboxes;
using SandboxGrains.Silo.Events;
using SandboxGrains.Silo.Forwarding;
using SandboxGrains.Silo.Runners;
using SandboxGrains.Silo.Telemetry;

namespace SandboxGrains.Silo.Hosting;

/// <summary>
/// How this process becomes a silo. Embedded by default: one silo, localhost clustering, memory storage. Cluster mode
/// when <c>ConnectionStrings:redis</c> is set (the name .NET Aspire injects) or Orleans' own <c>Orleans:Clustering</c>
/// section is: Redis clustering and Redis storage for every storage the product uses, unless Orleans' keys
/// (<c>Orleans:Clustering:*</c>, <c>Orleans:GrainStorage:&lt;name&gt;:*</c>) say otherwise — Orleans reads those itself.
/// </summary>
internal static class OrleansHosting
{
    public const string ClusterId = "sandboxgrains";

    /// <summary>The connection string name that switches a silo to cluster mode.</summary>
    public const string RedisConnectionName = "redis";

    /// <summary>Every grain storage the grains ask for.</summary>
    private static readonly string[] Storages = [StorageNames.Sandboxes, StorageNames.Runners, StorageNames.WarmPools, StorageNames.Volumes, StorageNames.Snapshots];

    /// <summary>What an embedded silo keeps on disk: the operator's configuration and records no container or image carries.</summary>
    private static readonly string[] FileStorages = [StorageNames.WarmPools, StorageNames.Snapshots];

    public static bool IsClusterMode(IConfiguration configuration) =>
        !string.IsNullOrEmpty(configuration.GetConnectionString(RedisConnectionName)) || configuration.GetSection("Orleans:Clustering").Exists();

    public static WebApplicationBuilder AddSandboxGrainsSilo(this WebApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        var endpoints = configuration.GetSection("Orleans:Endpoints");
        var siloPort = endpoints.GetValue("SiloPort", 11111);
        var gatewayPort = endpoints.GetValue("GatewayPort", 30000);
        var relay = Forwarding.Relay.RelayOptions.Read(configuration);
        var localRunner = new LocalRunner(LocalRunnerId(configuration), relay.AdvertisedEndpoint, relay.ContainerNetworkReachable);
        var clustered = IsClusterMode(configuration);
        if (clustered)
        {
            // Orleans turns these keys into providers when the silo builder is made, so they go in first; keys the
            // operator set are left alone.
            configuration.AddInMemoryCollection(ClusterDefaults(configuration));
        }

        builder.UseOrleans(silo =>
        {
            if (!clustered)
            {
                silo.UseLocalhostClustering(siloPort, gatewayPort, serviceId: ClusterId, clusterId: ClusterId);
                foreach (var storage in Storages.Except(FileStorages))
                {
                    silo.AddMemoryGrainStorage(storage);
                }

                var dataDirectory = configuration.GetSection(SiloOptions.SectionName).Get<SiloOptions>()?.DataDirectory ?? new SiloOptions().DataDirectory;
                foreach (var storage in FileStorages)
                {
                    silo.Services.AddGrainStorage(storage, (services, _) => new FileGrainStorage(
                        Path.Combine(dataDirectory, storage), services.GetRequiredService<Orleans.Storage.IGrainStorageSerializer>()));
                }

                silo.UseInMemoryReminderService();
            }
            else
            {
                silo.Configure<EndpointOptions>(options =>
                {
                    options.SiloPort = siloPort;
                    options.GatewayPort = gatewayPort;
                    if (AdvertisedAddress(endpoints["AdvertisedIPAddress"]) is { } advertised)
                    {
                        options.AdvertisedIPAddress = advertised;
                    }
                });
                silo.Configure<ClusterMembershipOptions>(options =>
                {
                    // A silo killed outright is declared dead in about a second on this kind of network, instead of
                    // the default's tens of seconds during which its grains cannot be reached.
                    options.ProbeTimeout = TimeSpan.FromSeconds(1);
                    options.NumMissedProbesLimit = 2;

                    // Declaring a silo dead takes two votes while more than two silos are fresh in the table, so when
                    // two of three die together the survivor must first see them stop writing "I am alive". The default
                    // (every 30 s, three misses) left the cluster unable to place grains for 90 s; this takes 6 s, for
                    // one small Redis write per silo every 2 s.
                    options.IAmAliveTablePublishTimeout = TimeSpan.FromSeconds(2);
                    options.NumMissedTableIAmAliveLimit = 3;

                    // After one missed probe Orleans asks another silo to probe for it; when that silo died too, the
                    // answer is "unknown", the miss count never grows, and (measured) the dead pair stayed in the cluster
                    // for over 30 s. Direct probes alone evict them in seconds; Orleans:Membership:EnableIndirectProbes
                    // turns the indirect ones back on for large clusters on flaky networks.
                    options.EnableIndirectProbes = false;
                    configuration.GetSection("Orleans:Membership").Bind(options);
                });
            }

            // Lifecycle policies wake their sandbox once a (policy) minute at most; a shortened minute (tests, demos) needs
            // reminders that short too.
            var minute = configuration.GetSection(LifecycleOptions.SectionName).Get<LifecycleOptions>()?.MinuteLength ?? TimeSpan.FromMinutes(1);
            silo.Configure<ReminderOptions>(options => options.MinimumReminderPeriod = minute < options.MinimumReminderPeriod ? minute : options.MinimumReminderPeriod);

            silo.AddSandboxGrains(localRunner);
            silo.AddRouteCache();
            silo.AddEventStream();
            silo.AddSandboxGrainsTracing();
            silo.AddOrleansDashboardWhenEnabled(configuration);
        });

        return builder;
    }

    /// <summary>The Orleans keys cluster mode needs and the operator left unset.</summary>
    private static Dictionary<string, string?> ClusterDefaults(IConfiguration configuration)
    {
        var defaults = new Dictionary<string, string?>();
        void Default(string key, string value)
        {
            if (string.IsNullOrEmpty(configuration[key]))
            {
                defaults[key] = value;
            }
        }

        Default("Orleans:ClusterId", ClusterId);
        Default("Orleans:ServiceId", ClusterId);
        var redis = !string.IsNullOrEmpty(configuration.GetConnectionString(RedisConnectionName));
        if (redis && !configuration.GetSection("Orleans:Clustering").Exists())
        {
            defaults["Orleans:Clustering:ProviderType"] = "Redis";
            defaults["Orleans:Clustering:ConnectionName"] = RedisConnectionName;
        }

        if (redis && !configuration.GetSection("Orleans:Reminders").Exists())
        {
            // Policies' reminders live in the same Redis as membership and grain state, so they fire after a failover.
            defaults["Orleans:Reminders:ProviderType"] = "Redis";
            defaults["Orleans:Reminders:ConnectionName"] = RedisConnectionName;
        }

        foreach (var storage in Storages)
        {
            if (!configuration.GetSection($"Orleans:GrainStorage:{storage}").Exists())
            {
                if (!redis)
                {
                    throw new InvalidOperationException(
                        $"Cluster mode needs a shared store for grain storage '{storage}': set ConnectionStrings:redis, or Orleans:GrainStorage:{storage}:ProviderType and its settings.");
                }

                defaults[$"Orleans:GrainStorage:{storage}:ProviderType"] = "Redis";
                defaults[$"Orleans:GrainStorage:{storage}:ConnectionName"] = RedisConnectionName;
            }
        }

        return defaults;
    }

    /// <summary>The address other silos reach this one at: the configured one, else Orleans' pick (the first non-loopback).</summary>
    private static IPAddress? AdvertisedAddress(string? configured)
    {
        if (string.IsNullOrEmpty(configured))
        {
            return null;
        }

        return IPAddress.TryParse(configured, out var address)
            ? address
            : Dns.GetHostAddresses(configured).FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork)
              ?? throw new InvalidOperationException($"Orleans:Endpoints:AdvertisedIPAddress '{configured}' is neither an IP address nor a resolvable host name.");
    }

    public static WebApplicationBuilder AddSandboxGrainsOptions(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<SiloOptions>().BindConfiguration(SiloOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<SiloOptions>, SiloOptionsValidator>();
        services.AddOptions<HostOptions>().Configure<IOptions<SiloOptions>>(
            (host, silo) => host.ShutdownTimeout = silo.Value.DrainTimeout + GracefulShutdown.OrleansStopBudget);
        services.AddHostedService<GracefulShutdown>();
        services.AddOptions<Api.ApiOptions>().BindConfiguration(Api.ApiOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<Api.ApiOptions>, Api.ApiOptionsValidator>();
        services.AddOptions<RunnerOptions>().BindConfiguration(RunnerOptions.SectionName).ValidateOnStart();
        services.AddOptions<Forwarding.Relay.RelayOptions>().Configure<IConfiguration>((options, configuration) => options.Bind(configuration)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<Forwarding.Relay.RelayOptions>, Forwarding.Relay.RelayOptionsValidator>();
        services.AddSingleton<IValidateOptions<RunnerOptions>, RunnerOptionsValidator>();
        services.AddOptions<DockerOptions>().BindConfiguration(DockerOptions.SectionName);
        services.AddSingleton<RegistryManifests>();
        services.AddOptions<Grains.Snapshots.SnapshotOptions>().BindConfiguration(Grains.Snapshots.SnapshotOptions.SectionName)
            .Validate(o => string.IsNullOrEmpty(o.Registry) || (SandboxGrains.Images.ImageReference.TryParse($"{o.Registry}/x", out var r, out _) && r.Registry == o.Registry),
                "Snapshots:Registry must be a registry host, with a port when it needs one (registry.example.com, 127.0.0.1:5000).");
        services.AddOptions<RegistryOptions>().Configure<IConfiguration>(RegistryConfiguration.Read)
            .Validate(o => o.PullTimeout > TimeSpan.Zero, "Registries:PullTimeout must be positive (default 00:10:00).")
            .Validate(o => o.Logins.Values.All(l => l.Username.Length > 0), "Registries:<host>:Username must not be empty.");
        services.AddOptions<SandboxOptions>().BindConfiguration(SandboxOptions.SectionName);
        services.AddOptions<RouteCacheOptions>().BindConfiguration(RouteCacheOptions.SectionName);
        services.AddOptions<Grains.WarmPools.WarmPoolOptions>().BindConfiguration(Grains.WarmPools.WarmPoolOptions.SectionName)
            .Validate(o => o.RefillConcurrency is >= 1 and <= 32, "WarmPools:RefillConcurrency must be from 1 to 32 (default 2).");
        services.AddHostedService<WarmPools.WarmPoolKeeper>();
        services.AddOptions<LifecycleOptions>().BindConfiguration(LifecycleOptions.SectionName)
            .Validate(o => o.MinuteLength >= TimeSpan.FromMilliseconds(100), "Lifecycle:MinuteLength must be at least 00:00:00.1 (default 00:01:00).");
        services.AddOptions<Seeds.DaemonProxyOptions>().BindConfiguration(Seeds.DaemonProxyOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<Seeds.DaemonProxyOptions>, Seeds.DaemonProxyOptionsValidator>();
        if (builder.Configuration.GetSection(Seeds.DaemonProxyOptions.SectionName).Get<Seeds.DaemonProxyOptions>()?.Enabled == true)
        {
            services.AddSingleton<Seeds.DaemonProxyTarget>();
            services.AddHostedService(provider => provider.GetRequiredService<Seeds.DaemonProxyTarget>());
        }

        services.AddOptions<Previews.PreviewOptions>().BindConfiguration(Previews.PreviewOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<Previews.PreviewOptions>, Previews.PreviewOptionsValidator>();
        return builder;
    }

    /// <summary>
    /// The runner side of a silo: its Docker engine, the heartbeat that keeps its runner placeable, the events listener
    /// that keeps sandbox states true, and the reconciliation that takes its containers back after a restart. In seed
    /// 002's host mode the runner is the host itself instead, with no Docker at all.
    /// </summary>
    public static WebApplicationBuilder AddLocalRunner(this WebApplicationBuilder builder)
    {
        if (Seeds.HostMode.HostRunner.IsChosen(builder.Configuration))
        {
            return Seeds.HostMode.HostModeHosting.AddHostRunner(builder);
        }

        builder.Services.AddDockerContainerRuntime();
        builder.Services.AddOptions<DaemonInjectionOptions>().BindConfiguration(DaemonInjectionOptions.SectionName);
        if (LocalRunnerId(builder.Configuration) is not null)
        {
            builder.Services.AddHostedService<RunnerHeartbeatService>();
            builder.Services.AddHostedService<SandboxReconciler>();
            builder.Services.AddHostedService<DockerEventsListener>();
        }

        return builder;
    }

    /// <summary>This silo's runner id, or null when runner duties are off (a front-end-only silo).</summary>
    private static string? LocalRunnerId(IConfiguration configuration)
    {
        var section = configuration.GetSection(RunnerOptions.SectionName);
        if (!section.GetValue(nameof(RunnerOptions.Enabled), true))
        {
            return null;
        }

        var options = new RunnerOptions();
        section.Bind(options);
        return options.Id;
    }
}
