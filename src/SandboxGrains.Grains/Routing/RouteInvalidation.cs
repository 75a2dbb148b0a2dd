using Microsoft.Extensions.Logging;
using Orleans.Runtime.Services;
using SandboxGrains.Routing;

namespace SandboxGrains.Grains.Routing;

/// <summary>
/// Tells every active silo's <see cref="IRouteInvalidationService"/> (its front end's route cache) that a route changed, and returns once each has answered (or
/// <see cref="Patience"/> ran out for a silo that is going away). This is how a revoked preview stops working on every
/// silo within a second rather than when a cache entry happens to age out.
/// </summary>
internal sealed partial class RouteInvalidation(
    IServiceProvider services,
    IClusterMembershipService membership,
    ILogger<RouteInvalidation> logger) : GrainServiceClient<IRouteInvalidationService>(services)
{
    /// <summary>How long one silo may take to acknowledge; a silo slower than this is on its way out of the cluster.</summary>
    internal static readonly TimeSpan Patience = TimeSpan.FromSeconds(1);

    public Task PreviewRevokedAsync(string tokenHash) => BroadcastAsync(silo => silo.ForgetPreviewAsync(tokenHash));

    public Task SandboxChangedAsync(string sandboxId) => BroadcastAsync(silo => silo.ForgetSandboxAsync(sandboxId));

    private Task BroadcastAsync(Func<IRouteInvalidationService, Task> notice) => Task.WhenAll(
        membership.CurrentSnapshot.Members.Values
            .Where(member => member.Status == SiloStatus.Active)
            .Select(async member =>
            {
                try
                {
                    await notice(GetGrainService(member.SiloAddress)).WaitAsync(Patience);
                }
                catch (Exception e)
                {
                    // The entry still ages out there; a silo that cannot answer is about to be declared dead anyway.
                    LogNoticeFailed(logger, member.SiloAddress.ToString(), e.Message);
                }
            }));

    [LoggerMessage(1, LogLevel.Warning, "Silo {Silo} did not acknowledge a route change: {Reason}")]
    private static partial void LogNoticeFailed(ILogger logger, string silo, string reason);
}
