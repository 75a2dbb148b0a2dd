using SandboxGrains.Silo.Forwarding.Relay;
using SandboxGrains.Silo.Previews;
using SandboxGrains.Silo.Toolbox;

namespace SandboxGrains.Silo.Forwarding;

/// <summary>
/// The front end every silo runs: one resolver per entry (previews, toolbox), the lane to each runner's sandboxes, the one
/// forwarder they hand targets to; and, on a runner's silo in a cluster, the relay that other silos' front ends go through.
/// </summary>
internal static class FrontEndServices
{
    public static WebApplicationBuilder AddFrontEnd(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddHttpForwarder();
        services.AddSingleton<SandboxForwarder>();
        services.AddSingleton<InsideOnlyApps>();
        services.AddSingleton<SandboxEndpoints>();
        services.AddSingleton<RunnerReach>();
        services.AddHostedService(provider => provider.GetRequiredService<RunnerReach>());
        if (RelayOptions.Read(builder.Configuration).ServesRelay)
        {
            services.AddSingleton<RunnerRelay>();
        }

        services.AddSingleton<ActivitySampler>();
        services.AddHostedService(provider => provider.GetRequiredService<ActivitySampler>());
        services.AddSingleton<PreviewResolver>();
        services.AddSingleton<PreviewRequestCounts>();
        services.AddSingleton<ToolboxResolver>();
        return builder;
    }
}
