using SandboxGrains.Docker.Sandboxes;

namespace SandboxGrains.Silo.Seeds.HostMode;

/// <summary>The runner side of a host-mode silo: the host daemon, the engine that is the host, and its heartbeat. No Docker.</summary>
internal static class HostModeHosting
{
    public static WebApplicationBuilder AddHostRunner(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<DaemonInjectionOptions>().BindConfiguration(DaemonInjectionOptions.SectionName);
        services.AddSingleton<HostDaemon>();
        services.AddHostedService(provider => provider.GetRequiredService<HostDaemon>());
        services.AddSingleton<ISandboxContainers, HostSandboxContainers>();
        services.AddHostedService<HostRunnerHeartbeat>();
        return builder;
    }
}
