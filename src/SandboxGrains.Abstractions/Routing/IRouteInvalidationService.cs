using Orleans.Services;

namespace SandboxGrains.Routing;

/// <summary>
/// One per silo (an Orleans grain service): grains tell every silo's front end that a route changed, and it forgets what
/// it had cached about it. Grains only announce; the cache is the front end's own.
/// </summary>
[Alias("sandboxgrains.IRouteInvalidationService")]
public interface IRouteInvalidationService : IGrainService
{
    /// <summary>A preview link was revoked.</summary>
    [Alias("ForgetPreview")]
    Task ForgetPreviewAsync(string tokenHash);

    /// <summary>A sandbox changed state or daemon address, or is gone.</summary>
    [Alias("ForgetSandbox")]
    Task ForgetSandboxAsync(string sandboxId);
}
