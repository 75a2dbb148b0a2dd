using SandboxGrains.Silo.Api;
using SandboxGrains.Silo.Snapshots;
using SandboxGrains.Snapshots;

namespace SandboxGrains.Silo.Daytona;

/// <summary>
/// Daytona's snapshots on ours: <c>sandbox.createSnapshot(name)</c> takes one of a sandbox as our API does, and
/// <c>daytona.snapshot.list/get/delete</c> show and remove ours (a name is its id). Daytona's other way to make one, from
/// an image or a Dockerfile (<c>POST /snapshots</c>), builds images, which we do not: 501.
/// </summary>
internal static class DaytonaSnapshotsApi
{
    private const int DefaultPageSize = 100;

    public static RouteGroupBuilder MapDaytonaSnapshotsApi(this RouteGroupBuilder api)
    {
        api.MapPost("/sandbox/{idOrName}/snapshot", TakeAsync);
        var snapshots = api.MapGroup("/snapshots");
        snapshots.MapGet("/", ListAsync);
        snapshots.MapGet("/{**idOrName}", async (HttpContext context, IGrainFactory grains, string idOrName) =>
            TypedResults.Ok(DaytonaSnapshot.From(await SnapshotsApi.SnapshotGrain(grains, idOrName).GetAsync(context.RequestAborted))));
        snapshots.MapDelete("/{**idOrName}", async (HttpContext context, IGrainFactory grains, string idOrName) =>
        {
            await SnapshotsApi.SnapshotGrain(grains, idOrName).DeleteAsync(context.RequestAborted);
            return TypedResults.Ok();
        });
        snapshots.MapPost("/{**rest}", (HttpContext context) =>
            DaytonaErrors.NotSupported(context, "making a snapshot from an image or a Dockerfile (snapshot.create), or activating one,"));
        return api;
    }

    /// <summary>Answers the sandbox, as Daytona's API does; the SDK then waits for it to leave <c>snapshotting</c>, which ours never shows.</summary>
    private static async Task<IResult> TakeAsync(HttpContext context, IGrainFactory grains, string idOrName)
    {
        var (body, bodyProblem) = await RequestBodies.ReadAsync<DaytonaSnapshotRequest>(context);
        if (body is null)
        {
            return bodyProblem!;
        }

        if (SnapshotNames.Problem(body.Name) is { } problem)
        {
            return Problems.InvalidField("name", problem);
        }

        var sandbox = await DaytonaSandboxesApi.ResolveAsync(grains, idOrName);
        var info = await sandbox.GetAsync();
        await grains.GetGrain<ISnapshotGrain>(body.Name!).CreateAsync(info.Id, wait: true);
        return TypedResults.Ok(DaytonaSandbox.From(await sandbox.GetAsync(), DaytonaSandboxesApi.ToolboxProxyUrl(context)));
    }

    /// <summary>Daytona's page of snapshots, <c>{items, total, page, totalPages}</c>, by name.</summary>
    private static async Task<IResult> ListAsync(
        HttpContext context, IGrainFactory grains, int? page, int? limit, string? name, string? sourceSandboxId)
    {
        var size = limit ?? DefaultPageSize;
        if (size < 1 || page < 1)
        {
            return Problems.InvalidField(size < 1 ? "limit" : "page", "must be 1 or more");
        }

        var all = (await SnapshotsApi.AllAsync(grains, context.RequestAborted))
            .Where(s => (name is null || s.Name.Contains(name, StringComparison.OrdinalIgnoreCase))
                        && (sourceSandboxId is null || s.SourceSandboxId == sourceSandboxId))
            .OrderBy(s => s.Name, StringComparer.Ordinal)
            .ToList();
        var number = page ?? 1;
        return TypedResults.Ok(new DaytonaSnapshotPage(
            [.. all.Skip((number - 1) * size).Take(size).Select(DaytonaSnapshot.From)],
            all.Count,
            number,
            (all.Count + size - 1) / size));
    }
}

/// <summary>The body of <c>POST /sandbox/{id}/snapshot</c>.</summary>
internal sealed record DaytonaSnapshotRequest(string? Name);

/// <summary>Daytona's <c>PaginatedSnapshots</c>.</summary>
internal sealed record DaytonaSnapshotPage(IReadOnlyList<DaytonaSnapshot> Items, int Total, int Page, int TotalPages);
