using SandboxGrains.Silo.Api;
using SandboxGrains.Silo.WarmPools;

namespace SandboxGrains.Silo.Sandboxes;

/// <summary><c>/api/v1/sandboxes</c>: create (claiming from a warm pool when one fits), list, get, change (policies, labels), keep alive, stop, start, archive, delete, adopt.</summary>
internal static class SandboxesApi
{
    private const int DefaultPageSize = 100;
    private const int MaxPageSize = 500;

    public static RouteGroupBuilder MapSandboxesApi(this RouteGroupBuilder api)
    {
        var sandboxes = api.MapGroup("/sandboxes").AddEndpointFilter<SandboxErrorFilter>();
        sandboxes.MapPost("/", CreateAsync).WithName("CreateSandbox").WithSummary("Create a sandbox, or hand out a ready one from a matching warm pool")
            .Takes<CreateSandboxRequest>().Produces<Sandbox>(StatusCodes.Status201Created).Produces<Sandbox>(StatusCodes.Status202Accepted)
            .Answers(SandboxErrorCodes.ImageNotFound, SandboxErrorCodes.ImagePullFailed, SandboxErrorCodes.NoCapacity, SandboxErrorCodes.RunnerUnreachable, SandboxErrorCodes.DockerUnavailable, SandboxErrorCodes.Failed, SandboxErrorCodes.VolumeNotFound, SandboxErrorCodes.VolumeInUse, SandboxErrorCodes.SnapshotNotFound, SandboxErrorCodes.InvalidState);
        sandboxes.MapGet("/", ListAsync).WithName("ListSandboxes").WithSummary("List sandboxes, a page at a time, by label and state")
            .Produces<SandboxPage>().Answers(SandboxErrorCodes.InvalidRequest);
        sandboxes.MapPost("/adopt", AdoptAsync).WithName("AdoptSandbox").WithSummary("Make a running container a sandbox by injecting the daemon")
            .Takes<AdoptSandboxRequest>().Produces<Sandbox>(StatusCodes.Status201Created)
            .Answers(SandboxErrorCodes.ContainerNotFound, SandboxErrorCodes.AlreadyManaged, SandboxErrorCodes.InvalidState, SandboxErrorCodes.RunnerUnreachable, SandboxErrorCodes.DockerUnavailable, SandboxErrorCodes.Failed);
        sandboxes.MapGet("/{id}", GetAsync).WithName("GetSandbox").WithSummary("One sandbox").Produces<Sandbox>().Answers(SandboxErrorCodes.NotFound);
        sandboxes.MapPatch("/{id}", UpdateAsync).WithName("UpdateSandbox").WithSummary("Change a sandbox's lifecycle policies and labels")
            .Accepts<System.Text.Json.JsonElement>("application/json").Produces<Sandbox>().Answers(SandboxErrorCodes.NotFound, SandboxErrorCodes.InvalidRequest);
        sandboxes.MapPost("/{id}/keepalive", KeepAliveAsync).WithName("KeepSandboxAlive").WithSummary("Count the sandbox as active now (its idle auto-stop starts over)")
            .Produces(StatusCodes.Status204NoContent).Answers(SandboxErrorCodes.NotFound);
        sandboxes.MapPost("/{id}/stop", StopAsync).WithName("StopSandbox").WithSummary("Stop a sandbox (its container stops; files stay)")
            .Produces<Sandbox>().Answers(SandboxErrorCodes.NotFound, SandboxErrorCodes.InvalidState, SandboxErrorCodes.ContainerNotFound, SandboxErrorCodes.RunnerUnreachable, SandboxErrorCodes.DockerUnavailable, SandboxErrorCodes.Failed);
        sandboxes.MapPost("/{id}/start", StartAsync).WithName("StartSandbox").WithSummary("Start a stopped sandbox, restoring an archived one first")
            .Produces<Sandbox>().Answers(SandboxErrorCodes.NotFound, SandboxErrorCodes.InvalidState, SandboxErrorCodes.NoCapacity, SandboxErrorCodes.RunnerUnreachable, SandboxErrorCodes.DockerUnavailable, SandboxErrorCodes.Failed);
        sandboxes.MapPost("/{id}/archive", ArchiveAsync).WithName("ArchiveSandbox").WithSummary("Archive a stopped sandbox: its filesystem kept as an image, its container removed")
            .Produces<Sandbox>().Answers(SandboxErrorCodes.NotFound, SandboxErrorCodes.InvalidState, SandboxErrorCodes.RunnerUnreachable, SandboxErrorCodes.DockerUnavailable, SandboxErrorCodes.Failed);
        sandboxes.MapDelete("/{id}", DeleteAsync).WithName("DeleteSandbox").WithSummary("Delete a sandbox and its container (an adopted one keeps its container unless asked)")
            .Produces(StatusCodes.Status204NoContent).Answers(SandboxErrorCodes.NotFound, SandboxErrorCodes.RunnerUnreachable, SandboxErrorCodes.DockerUnavailable, SandboxErrorCodes.Failed);
        return api;
    }

    private static async Task<IResult> CreateAsync(
        HttpContext context, IGrainFactory grains, IOptions<SandboxOptions> options, TimeProvider time, bool? wait)
    {
        var (body, bodyProblem) = await RequestBodies.ReadAsync<CreateSandboxRequest>(context);
        if (body is null)
        {
            return bodyProblem!;
        }

        var (spec, problem) = SandboxRequests.ToSpec(body, options.Value);
        if (spec is null)
        {
            return Problems.InvalidField(problem!.Field, problem.Message);
        }

        var info = await WarmPoolClaims.ClaimOrCreateAsync(grains, spec, wait ?? true, time.GetUtcNow(), context.RequestAborted);
        var dto = Sandbox.From(info);
        return info.State == SandboxState.Started
            ? TypedResults.Created($"/api/v1/sandboxes/{info.Id}", dto)
            : TypedResults.Accepted($"/api/v1/sandboxes/{info.Id}", dto);
    }

    private static async Task<IResult> AdoptAsync(HttpContext context, IGrainFactory grains)
    {
        var (body, bodyProblem) = await RequestBodies.ReadAsync<AdoptSandboxRequest>(context);
        if (body is null)
        {
            return bodyProblem!;
        }

        var (container, injection, problem) = SandboxRequests.ToAdoption(body);
        if (container is null)
        {
            return Problems.InvalidField(problem!.Field, problem.Message);
        }

        var id = SandboxIds.New();
        var info = await grains.GetGrain<ISandboxGrain>(id).AdoptAsync(container, injection);
        return TypedResults.Created($"/api/v1/sandboxes/{id}", Sandbox.From(info));
    }

    private static async Task<IResult> ListAsync(
        IGrainFactory grains, HttpRequest request, string? state, string? cursor, int? limit)
    {
        var labels = SandboxRequests.ParseLabelFilters(request.Query["label"]);
        if (labels is null)
        {
            return Problems.InvalidField("label", "each label filter must look like key=value");
        }

        SandboxState? wantedState = null;
        if (state is not null)
        {
            if (!Enum.TryParse<SandboxState>(state, ignoreCase: true, out var parsed) || int.TryParse(state, out _))
            {
                return Problems.InvalidField("state", "must be a sandbox state such as started or stopped");
            }

            wantedState = parsed;
        }

        var pageSize = limit ?? DefaultPageSize;
        if (pageSize is < 1 or > MaxPageSize)
        {
            return Problems.InvalidField("limit", $"must be from 1 to {MaxPageSize}");
        }

        // A warm pool's sandboxes are nobody's yet: listed only when asked for (state=pooled).
        var (items, next) = await SandboxListing.PageAsync(
            grains,
            info => (wantedState is null ? info.PoolId is null : info.State == wantedState)
                    && labels.All(l => info.Labels.TryGetValue(l.Key, out var v) && v == l.Value),
            cursor,
            pageSize);
        return TypedResults.Ok(new SandboxPage([.. items.Select(Sandbox.From)], next));
    }

    private static async Task<IResult> GetAsync(IGrainFactory grains, string id) =>
        TypedResults.Ok(Sandbox.From(await SandboxGrain(grains, id).GetAsync()));

    private static async Task<IResult> UpdateAsync(HttpContext context, IGrainFactory grains, string id)
    {
        var (body, bodyProblem) = await RequestBodies.ReadAsync<System.Text.Json.JsonDocument>(context);
        if (body is null)
        {
            return bodyProblem!;
        }

        using (body)
        {
            var (update, problem) = SandboxRequests.ToUpdate(body.RootElement);
            return update is null
                ? Problems.InvalidField(problem!.Field, problem.Message)
                : TypedResults.Ok(Sandbox.From(await SandboxGrain(grains, id).UpdateAsync(update, context.RequestAborted)));
        }
    }

    /// <summary>Traffic by other means: the sandbox counts as active now (its idle auto-stop starts over).</summary>
    private static async Task<IResult> KeepAliveAsync(IGrainFactory grains, string id, CancellationToken cancellationToken)
    {
        await SandboxGrain(grains, id).KeepAliveAsync(cancellationToken);
        return TypedResults.NoContent();
    }

    private static async Task<IResult> StopAsync(IGrainFactory grains, string id) =>
        TypedResults.Ok(Sandbox.From(await SandboxGrain(grains, id).StopAsync()));

    private static async Task<IResult> StartAsync(IGrainFactory grains, string id) =>
        TypedResults.Ok(Sandbox.From(await SandboxGrain(grains, id).StartAsync()));

    private static async Task<IResult> ArchiveAsync(IGrainFactory grains, string id) =>
        TypedResults.Ok(Sandbox.From(await SandboxGrain(grains, id).ArchiveAsync()));

    private static async Task<IResult> DeleteAsync(IGrainFactory grains, string id, bool? removeContainer)
    {
        await SandboxGrain(grains, id).DeleteAsync(removeContainer ?? false);
        return TypedResults.NoContent();
    }

    /// <summary>The grain for a well-formed id; a malformed one is simply not found (and activates nothing).</summary>
    internal static ISandboxGrain SandboxGrain(IGrainFactory grains, string id) => SandboxIds.IsValid(id)
        ? grains.GetGrain<ISandboxGrain>(id)
        : throw new SandboxException(SandboxErrorCodes.NotFound, $"sandbox {id} not found");
}
