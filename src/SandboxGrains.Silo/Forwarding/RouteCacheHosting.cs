using Orleans.Hosting;

namespace SandboxGrains.Silo.Forwarding;

/// <summary>This silo's route cache and the grain service through which grains keep it true.</summary>
internal static class RouteCacheHosting
{
    public static ISiloBuilder AddRouteCache(this ISiloBuilder silo)
    {
        silo.Services.AddSingleton<RouteCache>();
        silo.AddGrainService<RouteInvalidationService>();
        return silo;
    }
}
