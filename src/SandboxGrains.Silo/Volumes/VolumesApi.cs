using SandboxGrains.Silo.Api;
using SandboxGrains.Volumes;

namespace SandboxGrains.Silo.Volumes;

/// <summary>
/// <c>/api/v1/volumes</c>: named volumes that outlive sandboxes. Each lives on one runner's Docker engine; a sandbox that
/// mounts it is placed there (<see cref="Grains.Sandboxes.RunnerSelector"/>).
/// </summary>
internal static class VolumesApi
{
    public static RouteGroupBuilder MapVolumesApi(this RouteGroupBuilder api)
    {
        var volumes = api.MapGroup("/volumes").AddEndpointFilter<SandboxErrorFilter>();
        volumes.MapPost("/", CreateAsync).WithName("CreateVolume").WithSummary("Create a named Docker volume on a runner, for sandboxes to mount")
            .Takes<CreateVolumeRequest>().Produces<VolumeInfo>(StatusCodes.Status201Created).Answers(SandboxErrorCodes.VolumeExists, SandboxErrorCodes.RunnerUnreachable, SandboxErrorCodes.DockerUnavailable, SandboxErrorCodes.NoCapacity);
        volumes.MapGet("/", ListAsync).WithName("ListVolumes").WithSummary("Every volume on every runner").Produces<VolumeList>();
        volumes.MapGet("/{name}", GetAsync).WithName("GetVolume").WithSummary("One volume").Produces<VolumeInfo>().Answers(SandboxErrorCodes.VolumeNotFound);
        volumes.MapDelete("/{name}", DeleteAsync).WithName("DeleteVolume").WithSummary("Delete a volume and its data")
            .Produces(StatusCodes.Status204NoContent).Answers(SandboxErrorCodes.VolumeNotFound, SandboxErrorCodes.VolumeInUse, SandboxErrorCodes.RunnerUnreachable, SandboxErrorCodes.DockerUnavailable);
        return api;
    }

    private static async Task<IResult> CreateAsync(HttpContext context, IGrainFactory grains)
    {
        var (body, bodyProblem) = await RequestBodies.ReadAsync<CreateVolumeRequest>(context);
        if (body is null)
        {
            return bodyProblem!;
        }

        if (VolumeRules.NameProblem(body.Name) is { } problem)
        {
            return Problems.InvalidField("name", problem);
        }

        var created = await grains.GetGrain<IVolumeGrain>(body.Name!).CreateAsync(body.RunnerId, context.RequestAborted);
        return TypedResults.Created($"/api/v1/volumes/{created.Name}", created);
    }

    /// <summary>Every runner's volumes, asked of the runners themselves (their engines are the truth); a runner without a silo is skipped and named.</summary>
    private static async Task<IResult> ListAsync(IGrainFactory grains, CancellationToken cancellationToken) =>
        TypedResults.Ok(await AllAsync(grains, cancellationToken));

    /// <summary>Every runner's volumes by name (what each listing, ours and Daytona's, starts from).</summary>
    internal static async Task<VolumeList> AllAsync(IGrainFactory grains, CancellationToken cancellationToken)
    {
        var answers = await EachRunner.AskAsync(grains, null, runner => runner.ListVolumesAsync(cancellationToken), cancellationToken);
        return new VolumeList(
            [.. answers.SelectMany(a => a.Answer ?? []).OrderBy(v => v.Name, StringComparer.Ordinal)],
            EachRunner.Unreachable(answers));
    }

    private static async Task<IResult> GetAsync(IGrainFactory grains, string name, CancellationToken cancellationToken) =>
        TypedResults.Ok(await Volume(grains, name).GetAsync(cancellationToken));

    private static async Task<IResult> DeleteAsync(IGrainFactory grains, string name, CancellationToken cancellationToken)
    {
        await Volume(grains, name).DeleteAsync(cancellationToken);
        return TypedResults.NoContent();
    }

    /// <summary>The grain for a well-formed name; a malformed one is simply not found (and activates nothing).</summary>
    internal static IVolumeGrain Volume(IGrainFactory grains, string name) => VolumeRules.NameProblem(name) is null
        ? grains.GetGrain<IVolumeGrain>(name)
        : throw new SandboxException(SandboxErrorCodes.VolumeNotFound, $"volume {name} not found");

    /// <summary>The body of <c>POST /api/v1/volumes</c>.</summary>
    internal sealed record CreateVolumeRequest(string? Name, string? RunnerId = null);

    /// <summary>Every volume, and the runners that could not be asked (their volumes are missing from the list).</summary>
    internal sealed record VolumeList(IReadOnlyList<VolumeInfo> Items, IReadOnlyList<string> UnreachableRunners);
}
