using SandboxGrains.Silo.Events;
using SandboxGrains.Silo.Images;
using SandboxGrains.Silo.Previews;
using SandboxGrains.Silo.Sandboxes;
using SandboxGrains.Silo.Seeds;
using SandboxGrains.Silo.Snapshots;
using SandboxGrains.Silo.Volumes;
using SandboxGrains.Silo.WarmPools;

namespace SandboxGrains.Silo.Api;

/// <summary>The route table of the native HTTP API: every <c>/api/v1</c> route needs an API key.</summary>
internal static class ApiEndpoints
{
    public static IEndpointRouteBuilder MapSandboxGrainsApi(this IEndpointRouteBuilder app)
    {
        var v1 = app.MapGroup("/api/v1").RequireApiKey();
        v1.MapRunnersApi();
        v1.MapSandboxesApi();
        v1.MapWarmPoolsApi();
        v1.MapVolumesApi();
        v1.MapSnapshotsApi();
        v1.MapImagesApi();
        v1.MapEventsApi();
        v1.MapPreviewsApi();

        // Seed 003's global daemon-proxy service (containers by Docker id or name), for code written against it.
        app.MapGlobalDaemonProxyApi();

        // Anything else under /api is an unknown route, answered as a problem, not an empty 404.
        app.MapGroup("/api").RequireApiKey().Map("/{**rest}", (string? rest) => Problems.NotFound("route_not_found", $"no API route /api/{rest}"));
        return app;
    }
}
