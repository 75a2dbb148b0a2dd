using SandboxGrains.Grains.Sandboxes;
using SandboxGrains.Previews;
using SandboxGrains.Silo.Api;
using SandboxGrains.Silo.Previews;

namespace SandboxGrains.Silo.Seeds;

/// <summary>
/// Seed 003's global daemon-proxy service, <c>/api/daemon-proxy/…</c>, for code written against it: containers named by
/// their Docker id or name (not by sandbox id), a daemon copied into them on demand (an adoption with <c>copy</c>
/// injection), and preview links to their ports. Every call maps onto the sandbox the container is (or becomes); the
/// cluster's own routes do the work, so links, revocation and the toolbox behave as they do everywhere else.
/// </summary>
internal static class GlobalDaemonProxyApi
{
    public static IEndpointRouteBuilder MapGlobalDaemonProxyApi(this IEndpointRouteBuilder app)
    {
        var proxy = app.MapGroup("/api/daemon-proxy").RequireApiKey().AddEndpointFilter<SandboxErrorFilter>().ExcludeFromDescription();
        proxy.MapPost("/container/{container}/inject", InjectAsync);
        proxy.MapPost("/container/{container}/remove", RemoveAsync);
        proxy.MapPost("/container/{container}/preview/{port:int}", PreviewAsync);
        proxy.MapGet("/container/{container}/status", StatusAsync);
        proxy.MapGet("/service/status", ServiceStatusAsync);
        return app;
    }

    /// <summary>Injects the daemon unless the container already is a sandbox; either way answers what it is now.</summary>
    private static async Task<IResult> InjectAsync(string container, IGrainFactory grains, CancellationToken cancellationToken)
    {
        var (sandbox, injectedNow) = await EnsureSandboxAsync(grains, container, cancellationToken);
        return TypedResults.Ok(ContainerStatus.Of(container, sandbox, injectedNow ? "injected" : "already_injected"));
    }

    /// <summary>Stops and removes the daemon; the container keeps running. A container without one answers as such.</summary>
    private static async Task<IResult> RemoveAsync(string container, IGrainFactory grains, CancellationToken cancellationToken)
    {
        var (_, found, sandboxId) = await AdoptionTarget.LocateAsync(grains, container, cancellationToken);
        if (sandboxId is null)
        {
            return TypedResults.Ok(ContainerStatus.Of(container, null, "not_injected"));
        }

        var sandbox = grains.GetGrain<ISandboxGrain>(sandboxId);
        if ((await sandbox.GetAsync(cancellationToken)) is { Adopted: false })
        {
            // A sandbox the cluster made: its container is the sandbox, and removing "the daemon" would break it.
            throw new SandboxException(SandboxErrorCodes.InvalidState, $"container {found.Name} is sandbox {sandboxId}, made by the cluster; delete the sandbox instead");
        }

        await sandbox.DeleteAsync(removeAdoptedContainer: false, cancellationToken);
        return TypedResults.Ok(ContainerStatus.Of(container, null, "removed"));
    }

    /// <summary>A link to a port of the container, injecting the daemon first when needed (as seed 003's sandbox helper does).</summary>
    private static async Task<IResult> PreviewAsync(
        HttpContext context, string container, int port, IGrainFactory grains, IOptions<PreviewOptions> options, CancellationToken cancellationToken)
    {
        var (sandbox, _) = await EnsureSandboxAsync(grains, container, cancellationToken);
        var issued = await grains.GetGrain<ISandboxGrain>(sandbox.Id).CreatePreviewAsync(port, null, cancellationToken);
        var preview = PreviewLinks.Describe(issued, context.Request, options.Value);
        return TypedResults.Ok(new ContainerPreview(container, sandbox.Id, port, preview.Url!, preview.Token!, preview.HostUrl, preview.Id, preview.ExpiresAt));
    }

    private static async Task<IResult> StatusAsync(string container, IGrainFactory grains, CancellationToken cancellationToken)
    {
        var (_, _, sandboxId) = await AdoptionTarget.LocateAsync(grains, container, cancellationToken);
        var sandbox = sandboxId is null ? null : await grains.GetGrain<ISandboxGrain>(sandboxId).GetAsync(cancellationToken);
        return TypedResults.Ok(ContainerStatus.Of(container, sandbox, sandbox is null ? "not_injected" : "injected"));
    }

    /// <summary>The service's health: the cluster's silos, its runners, and every container that has a daemon.</summary>
    private static async Task<IResult> ServiceStatusAsync(IGrainFactory grains, IClusterMembershipService membership, CancellationToken cancellationToken)
    {
        var runners = await RunnersApi.InfosAsync(grains, cancellationToken);
        var registry = grains.GetGrain<ISandboxRegistryGrain>(ISandboxRegistryGrain.Key);
        var containers = new List<ContainerStatus>();
        string? after = null;
        while (true)
        {
            var ids = await registry.ListAsync(after, 500, cancellationToken);
            foreach (var id in ids)
            {
                try
                {
                    var sandbox = await grains.GetGrain<ISandboxGrain>(id).GetAsync(cancellationToken);
                    if (sandbox.ContainerId is not null && sandbox.PoolId is null)
                    {
                        containers.Add(ContainerStatus.Of(sandbox.ContainerId, sandbox, "injected"));
                    }
                }
                catch (SandboxException)
                {
                    // Deleted meanwhile.
                }
            }

            if (ids.Count < 500)
            {
                break;
            }

            after = ids[^1];
        }

        var silos = membership.CurrentSnapshot.Members.Values.Where(m => m.Status == SiloStatus.Active).Select(m => m.SiloAddress.ToString()).ToList();
        var healthy = runners.Any(r => r.Status == RunnerStatus.Healthy);
        return TypedResults.Ok(new ServiceStatus(healthy ? "healthy" : "degraded", silos, [.. runners.Select(RunnerDto.From)], containers));
    }

    /// <summary>The sandbox <paramref name="container"/> is, adopting it (daemon copied in) when it is none yet.</summary>
    private static async Task<(SandboxInfo Sandbox, bool InjectedNow)> EnsureSandboxAsync(IGrainFactory grains, string container, CancellationToken cancellationToken)
    {
        var (_, _, sandboxId) = await AdoptionTarget.LocateAsync(grains, container, cancellationToken);
        if (sandboxId is not null)
        {
            return (await grains.GetGrain<ISandboxGrain>(sandboxId).GetAsync(cancellationToken), false);
        }

        try
        {
            return (await grains.GetGrain<ISandboxGrain>(SandboxIds.New()).AdoptAsync(container, InjectionMode.Copy, cancellationToken), true);
        }
        catch (SandboxException e) when (e.Code == SandboxErrorCodes.AlreadyManaged)
        {
            // Two injects at once: the other one won; answer what it made.
            var (_, _, owner) = await AdoptionTarget.LocateAsync(grains, container, cancellationToken);
            if (owner is null)
            {
                throw;
            }

            return (await grains.GetGrain<ISandboxGrain>(owner).GetAsync(cancellationToken), false);
        }
    }

    /// <summary>A container as seed 003's status answers read it: whether a daemon is in it, and the sandbox it is.</summary>
    internal sealed record ContainerStatus(string Container, string Status, bool Injected, string? SandboxId, string? State, bool DaemonRunning, string? DaemonVersion, Sandbox? Sandbox)
    {
        public static ContainerStatus Of(string container, SandboxInfo? sandbox, string status) => new(
            container,
            status,
            sandbox is not null,
            sandbox?.Id,
            sandbox?.State.ToString().ToLowerInvariant(),
            sandbox is { State: SandboxState.Started, DaemonVersion: not null },
            sandbox?.DaemonVersion,
            sandbox is null ? null : Sandbox.From(sandbox));
    }

    /// <summary>A link as seed 003's callers read it (<c>url</c>, <c>token</c>), with the rest of ours beside.</summary>
    internal sealed record ContainerPreview(string Container, string SandboxId, int Port, string Url, string Token, string? HostUrl, string PreviewId, DateTimeOffset? ExpiresAt);

    internal sealed record ServiceStatus(string Status, IReadOnlyList<string> Silos, IReadOnlyList<RunnerDto> Runners, IReadOnlyList<ContainerStatus> Containers);
}
