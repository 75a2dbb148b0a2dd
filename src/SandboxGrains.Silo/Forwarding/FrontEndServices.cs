using SandboxGrains.Silo.Previews;
using SandboxGrains.Silo.Toolbox;

namespace SandboxGrains.Silo.Forwarding;

/// <summary>The front end every silo runs: one resolver per entry (previews, toolbox) and the one forwarder they hand targets to.</summary>
internal static class FrontEndServices
{
    public static WebApplicationBuilder AddFrontEnd(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddHttpForwarder();
        services.AddSingleton<SandboxForwarder>();
        services.AddSingleton<InsideOnlyApps>();
        services.AddSingleton<SandboxEndpoints>();
        services.AddSingleton<ActivitySampler>();
        services.AddHostedService(provider => provider.GetRequiredService<ActivitySampler>());
        services.AddSingleton<PreviewResolver>();
        services.AddSingleton<ToolboxResolver>();
        return builder;
    }
}
