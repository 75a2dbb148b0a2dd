using SandboxGrains.Docker;
using SandboxGrains.Docker.Sandboxes;
using SandboxGrains.Grains.Hosting;
using SandboxGrains.Grains.Runners;
using SandboxGrains.Silo.Runners;

namespace SandboxGrains.Silo.Hosting;

/// <summary>How this process becomes a silo. Today: the embedded default (one silo, localhost clustering, memory storage).</summary>
internal static class OrleansHosting
{
    public const string ClusterId = "sandboxgrains";

    public static WebApplicationBuilder AddSandboxGrainsSilo(this WebApplicationBuilder builder)
    {
        var endpoints = builder.Configuration.GetSection("Orleans:Endpoints");
        var siloPort = endpoints.GetValue("SiloPort", 11111);
        var gatewayPort = endpoints.GetValue("GatewayPort", 30000);
        var localRunner = new LocalRunner(LocalRunnerId(builder.Configuration));

        builder.UseOrleans(silo =>
        {
            silo.UseLocalhostClustering(siloPort, gatewayPort, serviceId: ClusterId, clusterId: ClusterId);
            silo.AddMemoryGrainStorage(StorageNames.Sandboxes);
            silo.AddMemoryGrainStorage(StorageNames.Runners);
            silo.AddSandboxGrains(localRunner);
        });

        return builder;
    }

    public static WebApplicationBuilder AddSandboxGrainsOptions(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<SiloOptions>().BindConfiguration(SiloOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<SiloOptions>, SiloOptionsValidator>();
        services.AddOptions<Api.ApiOptions>().BindConfiguration(Api.ApiOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<Api.ApiOptions>, Api.ApiOptionsValidator>();
        services.AddOptions<RunnerOptions>().BindConfiguration(RunnerOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<RunnerOptions>, RunnerOptionsValidator>();
        services.AddOptions<DockerOptions>().BindConfiguration(DockerOptions.SectionName);
        services.AddOptions<SandboxOptions>().BindConfiguration(SandboxOptions.SectionName);
        services.AddOptions<SandboxGrains.Grains.Routing.RouteCacheOptions>().BindConfiguration(SandboxGrains.Grains.Routing.RouteCacheOptions.SectionName);
        services.AddOptions<Previews.PreviewOptions>().BindConfiguration(Previews.PreviewOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<Previews.PreviewOptions>, Previews.PreviewOptionsValidator>();
        return builder;
    }

    /// <summary>
    /// The runner side of a silo: its Docker engine, the heartbeat that keeps its runner placeable, the events listener
    /// that keeps sandbox states true, and the reconciliation that takes its containers back after a restart.
    /// </summary>
    public static WebApplicationBuilder AddLocalRunner(this WebApplicationBuilder builder)
    {
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
