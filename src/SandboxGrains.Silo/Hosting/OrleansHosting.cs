using SandboxGrains.Docker;
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

        builder.UseOrleans(silo =>
        {
            silo.UseLocalhostClustering(siloPort, gatewayPort, serviceId: ClusterId, clusterId: ClusterId);
            silo.AddMemoryGrainStorage(StorageNames.Sandboxes);
            silo.AddMemoryGrainStorage(StorageNames.Runners);
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
        return builder;
    }

    /// <summary>The runner side of a silo: the Docker engine and the heartbeat that keeps its runner placeable.</summary>
    public static WebApplicationBuilder AddLocalRunner(this WebApplicationBuilder builder)
    {
        builder.Services.AddDockerContainerRuntime();
        if (builder.Configuration.GetValue($"{RunnerOptions.SectionName}:{nameof(RunnerOptions.Enabled)}", true))
        {
            builder.Services.AddHostedService<RunnerHeartbeatService>();
        }

        return builder;
    }
}
