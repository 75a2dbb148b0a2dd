using SandboxGrains.Silo.Api;

namespace SandboxGrains.Silo.WarmPools;

/// <summary><c>/api/v1/warm-pools</c>: create, list, get, resize, delete. Claiming happens in a sandbox create (<see cref="WarmPoolClaims"/>).</summary>
internal static class WarmPoolsApi
{
    public static RouteGroupBuilder MapWarmPoolsApi(this RouteGroupBuilder api)
    {
        var pools = api.MapGroup("/warm-pools").AddEndpointFilter<SandboxErrorFilter>();
        pools.MapPost("/", CreateAsync).WithName("CreateWarmPool").WithSummary("Keep a number of started sandboxes of one kind ready to hand out")
            .Takes<CreateWarmPoolRequest>().Produces<WarmPool>(StatusCodes.Status201Created).Answers(SandboxErrorCodes.WarmPoolConflict, SandboxErrorCodes.ImageNotFound);
        pools.MapGet("/", ListAsync).WithName("ListWarmPools").WithSummary("The warm pools").Produces<List<WarmPool>>();
        pools.MapGet("/{id}", GetAsync).WithName("GetWarmPool").WithSummary("One warm pool, with how many are ready").Produces<WarmPool>().Answers(SandboxErrorCodes.WarmPoolNotFound);
        pools.MapPatch("/{id}", ResizeAsync).WithName("ResizeWarmPool").WithSummary("Change a warm pool's size")
            .Takes<UpdateWarmPoolRequest>().Produces<WarmPool>().Answers(SandboxErrorCodes.WarmPoolNotFound, SandboxErrorCodes.WarmPoolConflict);
        pools.MapDelete("/{id}", DeleteAsync).WithName("DeleteWarmPool").WithSummary("Delete a warm pool and its unclaimed sandboxes")
            .Produces(StatusCodes.Status204NoContent).Answers(SandboxErrorCodes.WarmPoolNotFound, SandboxErrorCodes.Failed);
        return api;
    }

    private static async Task<IResult> CreateAsync(HttpContext context, IGrainFactory grains, IOptions<SandboxOptions> options)
    {
        var (body, bodyProblem) = await RequestBodies.ReadAsync<CreateWarmPoolRequest>(context);
        if (body is null)
        {
            return bodyProblem!;
        }

        var (spec, problem) = WarmPoolRequests.ToSpec(body, options.Value);
        if (spec is null)
        {
            return Problems.InvalidField(problem!.Field, problem.Message);
        }

        var id = WarmPoolIds.New();
        var info = await grains.GetGrain<IWarmPoolGrain>(id).CreateAsync(spec, context.RequestAborted);
        return TypedResults.Created($"/api/v1/warm-pools/{id}", WarmPool.From(info));
    }

    private static async Task<IResult> ListAsync(IGrainFactory grains, CancellationToken cancellationToken)
    {
        var ids = await grains.GetGrain<IWarmPoolRegistryGrain>(IWarmPoolRegistryGrain.Key).ListAsync(cancellationToken);
        var pools = await Task.WhenAll(ids.Select(id => grains.GetGrain<IWarmPoolGrain>(id).GetAsync(cancellationToken)));
        return TypedResults.Ok(pools.Select(WarmPool.From).ToList());
    }

    private static async Task<IResult> GetAsync(IGrainFactory grains, string id, CancellationToken cancellationToken) =>
        TypedResults.Ok(WarmPool.From(await Pool(grains, id).GetAsync(cancellationToken)));

    private static async Task<IResult> ResizeAsync(HttpContext context, IGrainFactory grains, string id)
    {
        var (body, bodyProblem) = await RequestBodies.ReadAsync<UpdateWarmPoolRequest>(context);
        if (body is null)
        {
            return bodyProblem!;
        }

        return WarmPoolRequests.SizeProblem(body.Size) is { } problem
            ? Problems.InvalidField(problem.Field, problem.Message)
            : TypedResults.Ok(WarmPool.From(await Pool(grains, id).ResizeAsync(body.Size!.Value, context.RequestAborted)));
    }

    private static async Task<IResult> DeleteAsync(IGrainFactory grains, string id, CancellationToken cancellationToken)
    {
        await Pool(grains, id).DeleteAsync(cancellationToken);
        return TypedResults.NoContent();
    }

    /// <summary>The grain for a well-formed id; a malformed one is simply not found (and activates nothing).</summary>
    private static IWarmPoolGrain Pool(IGrainFactory grains, string id) => WarmPoolIds.IsValid(id)
        ? grains.GetGrain<IWarmPoolGrain>(id)
        : throw new SandboxException(SandboxErrorCodes.WarmPoolNotFound, $"warm pool {id} not found");
}
