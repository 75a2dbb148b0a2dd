using Microsoft.Extensions.Logging;
using Orleans.Runtime.Services;
using SandboxGrains.Routing;

namespace SandboxGrains.Grains.Routing;

/// <summary>
/// Tells every active silo's <see cref="IRouteInvalidationService"/> (its front end's route cache) that a route changed, and
/// returns once each has answered (or <see cref="SiloBroadcast.Patience"/> ran out for a silo that is going away). This is
/// how a revoked preview stops working on every silo within a second rather than when a cache entry happens to age out.
/// </summary>
internal sealed partial class RouteInvalidation(
    IServiceProvider services,
    IClusterMembershipService membership,
    ILogger<RouteInvalidation> logger) : GrainServiceClient<IRouteInvalidationService>(services)
{
    public Task PreviewRevokedAsync(string tokenHash) => BroadcastAsync(silo => silo.ForgetPreviewAsync(tokenHash));

    public Task SandboxChangedAsync(string sandboxId) => BroadcastAsync(silo => silo.ForgetSandboxAsync(sandboxId));

    // A silo that did not answer still ages the entry out; one that cannot answer is about to be declared dead anyway.
    private Task BroadcastAsync(Func<IRouteInvalidationService, Task> notice) => SiloBroadcast.ToActiveSilosAsync(
        membership, silo => notice(GetGrainService(silo)), (silo, e) => LogNoticeFailed(logger, silo.ToString(), e.Message));

    [LoggerMessage(1, LogLevel.Warning, "Silo {Silo} did not acknowledge a route change: {Reason}")]
    private static partial void LogNoticeFailed(ILogger logger, string silo, string reason);
}
