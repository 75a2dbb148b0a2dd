using Orleans.Services;

namespace SandboxGrains.Grains.Routing;

/// <summary>One per silo: drops entries from that silo's <see cref="RouteCache"/> when told to.</summary>
[Alias("sandboxgrains.IRouteInvalidationService")]
public interface IRouteInvalidationService : IGrainService
{
    [Alias("ForgetPreview")]
    Task ForgetPreviewAsync(string tokenHash);

    [Alias("ForgetSandbox")]
    Task ForgetSandboxAsync(string sandboxId);
}
