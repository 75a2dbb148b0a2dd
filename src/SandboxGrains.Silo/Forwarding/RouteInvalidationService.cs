using Orleans.Runtime;
using SandboxGrains.Routing;

namespace SandboxGrains.Silo.Forwarding;

/// <summary>
/// The Orleans grain service (a system target on every silo) behind <see cref="IRouteInvalidationService"/>: grains reach
/// every silo's <see cref="RouteCache"/> with one call per silo, addressed by silo, and this drops the entry.
/// </summary>
internal sealed class RouteInvalidationService(GrainId grainId, Orleans.Runtime.Silo silo, ILoggerFactory loggerFactory, RouteCache cache)
    : GrainService(grainId, silo, loggerFactory), IRouteInvalidationService
{
    public Task ForgetPreviewAsync(string tokenHash)
    {
        cache.ForgetGrant(tokenHash);
        return Task.CompletedTask;
    }

    public Task ForgetSandboxAsync(string sandboxId)
    {
        cache.ForgetSandbox(sandboxId);
        return Task.CompletedTask;
    }
}
