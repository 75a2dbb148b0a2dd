using SandboxGrains.Silo.Api;
using SandboxGrains.Snapshots;

namespace SandboxGrains.Silo.Snapshots;

/// <summary>
/// Snapshots: <c>POST /api/v1/sandboxes/{id}/snapshots</c> takes one, <c>/api/v1/snapshots</c> lists, shows and deletes
/// them (names may hold '/', so they are the rest of the path). A create from one is an ordinary sandbox create with
/// <c>snapshot</c> in place of <c>image</c>.
/// </summary>
internal static class SnapshotsApi
{
    public static RouteGroupBuilder MapSnapshotsApi(this RouteGroupBuilder api)
    {
        api.MapPost("/sandboxes/{id}/snapshots", CreateAsync).AddEndpointFilter<SandboxErrorFilter>().WithName("CreateSnapshot")
            .WithSummary("Keep a sandbox's filesystem and configuration as a named snapshot to create sandboxes from")
            .Takes<CreateSnapshotRequest>().Produces<Snapshot>(StatusCodes.Status201Created).Produces<Snapshot>(StatusCodes.Status202Accepted)
            .Answers(SandboxErrorCodes.NotFound, SandboxErrorCodes.SnapshotExists, SandboxErrorCodes.InvalidState, SandboxErrorCodes.RunnerUnreachable, SandboxErrorCodes.DockerUnavailable, SandboxErrorCodes.ImagePullFailed, SandboxErrorCodes.Failed);
        var snapshots = api.MapGroup("/snapshots").AddEndpointFilter<SandboxErrorFilter>();
        snapshots.MapGet("/", ListAsync).WithName("ListSnapshots").WithSummary("The snapshots").Produces<ItemsDto<Snapshot>>();
        snapshots.MapGet("/{**name}", GetAsync).WithName("GetSnapshot").WithSummary("One snapshot").Produces<Snapshot>().Answers(SandboxErrorCodes.SnapshotNotFound);
        snapshots.MapDelete("/{**name}", DeleteAsync).WithName("DeleteSnapshot").WithSummary("Delete a snapshot from the registry and every runner")
            .Produces(StatusCodes.Status204NoContent).Answers(SandboxErrorCodes.SnapshotNotFound, SandboxErrorCodes.SnapshotInUse, SandboxErrorCodes.ImagePullFailed, SandboxErrorCodes.RunnerUnreachable);
        return api;
    }

    private static async Task<IResult> CreateAsync(HttpContext context, IGrainFactory grains, string id, bool? wait)
    {
        var (body, bodyProblem) = await RequestBodies.ReadAsync<CreateSnapshotRequest>(context);
        if (body is null)
        {
            return bodyProblem!;
        }

        if (SnapshotNames.Problem(body.Name) is { } problem)
        {
            return Problems.InvalidField("name", problem);
        }

        var waiting = wait ?? true;
        var snapshot = await grains.GetGrain<ISnapshotGrain>(body.Name!).CreateAsync(id, waiting);
        return waiting
            ? TypedResults.Created($"/api/v1/snapshots/{snapshot.Name}", Snapshot.From(snapshot))
            : TypedResults.Accepted($"/api/v1/snapshots/{snapshot.Name}", Snapshot.From(snapshot));
    }

    private static async Task<IResult> ListAsync(IGrainFactory grains, CancellationToken cancellationToken) =>
        TypedResults.Ok(new ItemsDto<Snapshot>([.. (await AllAsync(grains, cancellationToken)).Select(Snapshot.From)]));

    /// <summary>Every snapshot of the cluster, by name (what each listing, ours and Daytona's, starts from).</summary>
    internal static async Task<IReadOnlyList<SnapshotInfo>> AllAsync(IGrainFactory grains, CancellationToken cancellationToken)
    {
        var names = await grains.GetGrain<ISnapshotRegistryGrain>(ISnapshotRegistryGrain.Key).ListAsync(cancellationToken);
        var found = await Task.WhenAll(names.Select(async name =>
        {
            try
            {
                return await grains.GetGrain<ISnapshotGrain>(name).GetAsync(cancellationToken);
            }
            catch (SandboxException e) when (e.Code == SandboxErrorCodes.SnapshotNotFound)
            {
                return null; // Deleted between the two reads.
            }
        }));
        return [.. found.OfType<SnapshotInfo>()];
    }

    private static async Task<IResult> GetAsync(IGrainFactory grains, string name, CancellationToken cancellationToken) =>
        TypedResults.Ok(Snapshot.From(await SnapshotGrain(grains, name).GetAsync(cancellationToken)));

    private static async Task<IResult> DeleteAsync(IGrainFactory grains, string name, CancellationToken cancellationToken)
    {
        await SnapshotGrain(grains, name).DeleteAsync(cancellationToken);
        return TypedResults.NoContent();
    }

    /// <summary>The grain for a well-formed name; a malformed one is simply not found (and activates nothing).</summary>
    internal static ISnapshotGrain SnapshotGrain(IGrainFactory grains, string name) => SnapshotNames.Problem(name) is null
        ? grains.GetGrain<ISnapshotGrain>(name)
        : throw new SandboxException(SandboxErrorCodes.SnapshotNotFound, $"snapshot {name} not found");

    /// <summary>The body of <c>POST /api/v1/sandboxes/{id}/snapshots</c>.</summary>
    internal sealed record CreateSnapshotRequest(string? Name);
}
