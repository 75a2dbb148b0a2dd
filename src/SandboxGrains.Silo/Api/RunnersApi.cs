namespace SandboxGrains.Silo.Api;

/// <summary><c>/api/v1/runners</c>: the Docker hosts of the cluster and their capacity.</summary>
internal static class RunnersApi
{
    public static RouteGroupBuilder MapRunnersApi(this RouteGroupBuilder api)
    {
        api.MapGet("/runners", ListRunnersAsync).WithName("ListRunners").WithSummary("The runners (Docker hosts): capacity, allocation, health")
            .Produces<ItemsDto<RunnerDto>>();
        return api;
    }

    private static async Task<Ok<ItemsDto<RunnerDto>>> ListRunnersAsync(IGrainFactory grains, CancellationToken cancellationToken) =>
        TypedResults.Ok(new ItemsDto<RunnerDto>([.. (await InfosAsync(grains, cancellationToken)).Select(RunnerDto.From)]));

    /// <summary>Every runner that ever joined, as its grain sees it now.</summary>
    public static async Task<RunnerInfo[]> InfosAsync(IGrainFactory grains, CancellationToken cancellationToken)
    {
        var ids = await grains.GetGrain<IRunnerRegistryGrain>(IRunnerRegistryGrain.Key).ListAsync(cancellationToken);
        return await Task.WhenAll(ids.Select(id => grains.GetGrain<IRunnerGrain>(id).GetInfoAsync(cancellationToken)));
    }
}
