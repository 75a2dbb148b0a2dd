using Microsoft.Extensions.Logging;

namespace SandboxGrains.Grains.Routing;

/// <summary>
/// The Orleans grain service (a system target on every silo) behind <see cref="IRouteInvalidationService"/>. Addressed
/// by silo, which is what lets <see cref="RouteInvalidation"/> reach every silo's cache with one call each.
/// </summary>
internal sealed class RouteInvalidationService(GrainId grainId, Silo silo, ILoggerFactory loggerFactory, RouteCache cache)
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
