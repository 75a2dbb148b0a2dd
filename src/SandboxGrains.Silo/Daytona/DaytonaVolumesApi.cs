using SandboxGrains.Silo.Api;
using SandboxGrains.Silo.Volumes;
using SandboxGrains.Volumes;

namespace SandboxGrains.Silo.Daytona;

/// <summary>
/// Daytona's volumes on our named volumes: <c>daytona.volume.list/get/create/delete</c>, the name standing for
/// Daytona's id, so a create's <c>volumes: [{volumeId, mountPath}]</c> mounts ours by name.
/// </summary>
internal static class DaytonaVolumesApi
{
    public static RouteGroupBuilder MapDaytonaVolumesApi(this RouteGroupBuilder api)
    {
        var volumes = api.MapGroup("/volumes");
        volumes.MapGet("/", async (IGrainFactory grains, CancellationToken cancellationToken) =>
            TypedResults.Ok((await VolumesApi.AllAsync(grains, cancellationToken)).Items.Select(DaytonaVolume.From).ToList()));
        volumes.MapGet("/by-name/{name}", GetAsync);
        volumes.MapGet("/{name}", GetAsync);
        volumes.MapPost("/", CreateAsync);
        volumes.MapDelete("/{name}", async (IGrainFactory grains, string name, CancellationToken cancellationToken) =>
        {
            await VolumesApi.Volume(grains, name).DeleteAsync(cancellationToken);
            return TypedResults.Ok();
        });
        return api;
    }

    private static async Task<IResult> GetAsync(IGrainFactory grains, string name, CancellationToken cancellationToken) =>
        TypedResults.Ok(DaytonaVolume.From(await VolumesApi.Volume(grains, name).GetAsync(cancellationToken)));

    private static async Task<IResult> CreateAsync(HttpContext context, IGrainFactory grains)
    {
        var (body, bodyProblem) = await RequestBodies.ReadAsync<VolumesApi.CreateVolumeRequest>(context);
        if (body is null)
        {
            return bodyProblem!;
        }

        if (VolumeRules.NameProblem(body.Name) is { } problem)
        {
            return Problems.InvalidField("name", problem);
        }

        // On the healthy runner with the fewest sandboxes, as our API places one made without a runner.
        return TypedResults.Ok(DaytonaVolume.From(await grains.GetGrain<IVolumeGrain>(body.Name!).CreateAsync(null, context.RequestAborted)));
    }
}

/// <summary>One of our volumes as Daytona's <c>VolumeDto</c>: ready as soon as it exists (a Docker volume is made at once).</summary>
internal sealed record DaytonaVolume(
    string Id,
    string Name,
    string OrganizationId,
    string State,
    DateTimeOffset? CreatedAt,
    DateTimeOffset? UpdatedAt,
    DateTimeOffset? LastUsedAt,
    string? ErrorReason)
{
    public static DaytonaVolume From(VolumeInfo info) =>
        new(info.Name, info.Name, DaytonaSandbox.Organization, "ready", info.CreatedAt, info.CreatedAt, null, null);
}
