using System.Text.Json;
using SandboxGrains.Silo.Api;
using SandboxGrains.Silo.Previews;
using SandboxGrains.Silo.Sandboxes;
using SandboxGrains.Snapshots;

namespace SandboxGrains.Silo.Daytona;

/// <summary>
/// Daytona's <c>/sandbox</c> routes (create, get by id or name, list, start, stop, archive, delete, labels, lifecycle
/// intervals, toolbox URL), each mapped onto the grain call the native API makes and answered as Daytona's DTO.
/// </summary>
internal static class DaytonaSandboxesApi
{
    private const int DefaultPageSize = 100;
    private const int MaxPageSize = 500;

    /// <summary>How long a create holds its answer for the sandbox to start; the SDK polls after that (its own timeout is 60 s).</summary>
    private static readonly TimeSpan CreateHold = TimeSpan.FromSeconds(20);

    public static RouteGroupBuilder MapDaytonaSandboxesApi(this RouteGroupBuilder api)
    {
        var sandbox = api.MapGroup("/sandbox");
        sandbox.MapPost("/", CreateAsync);
        sandbox.MapGet("/", ListAsync);
        sandbox.MapGet("/{idOrName}", GetAsync);
        sandbox.MapPost("/{idOrName}/start", async (HttpContext context, IGrainFactory grains, string idOrName) =>
            Dto(context, await (await ResolveAsync(grains, idOrName)).StartAsync()));
        sandbox.MapPost("/{idOrName}/stop", async (HttpContext context, IGrainFactory grains, string idOrName) =>
            Dto(context, await (await ResolveAsync(grains, idOrName)).StopAsync()));
        sandbox.MapPost("/{idOrName}/archive", async (HttpContext context, IGrainFactory grains, string idOrName) =>
            Dto(context, await (await ResolveAsync(grains, idOrName)).ArchiveAsync()));
        sandbox.MapDelete("/{idOrName}", DeleteAsync);
        sandbox.MapPut("/{idOrName}/labels", ReplaceLabelsAsync);
        sandbox.MapPost("/{idOrName}/autostop/{interval:int}", (HttpContext context, IGrainFactory grains, string idOrName, int interval) =>
            UpdateAsync(context, grains, idOrName, ("autoStopInterval", "autoStopMinutes"), interval, new SandboxUpdate { AutoStopMinutes = interval }));
        sandbox.MapPost("/{idOrName}/autoarchive/{interval:int}", (HttpContext context, IGrainFactory grains, string idOrName, int interval) =>
            UpdateAsync(context, grains, idOrName, ("autoArchiveInterval", "autoArchiveMinutes"), interval, new SandboxUpdate { AutoArchiveMinutes = interval }));
        sandbox.MapPost("/{idOrName}/autodelete/{interval:int}", (HttpContext context, IGrainFactory grains, string idOrName, int interval) =>
            UpdateAsync(context, grains, idOrName, ("autoDeleteInterval", "autoDeleteMinutes"), Math.Max(interval, 0),
                new SandboxUpdate { SetAutoDeleteMinutes = true, AutoDeleteMinutes = interval < 0 ? null : interval }));
        sandbox.MapPost("/{idOrName}/ttl/{minutes:int}", SetTtlAsync);
        sandbox.MapPost("/{idOrName}/last-activity", async (IGrainFactory grains, string idOrName, CancellationToken cancellationToken) =>
        {
            await (await ResolveAsync(grains, idOrName)).KeepAliveAsync(cancellationToken);
            return TypedResults.Ok();
        });
        sandbox.MapGet("/{idOrName}/toolbox-proxy-url", (HttpContext context, IOptions<PreviewOptions> options) =>
            TypedResults.Ok(new DaytonaUrl(ToolboxProxyUrl(context, options.Value))));
        return api;
    }

    private static async Task<IResult> CreateAsync(
        HttpContext context, IGrainFactory grains, IOptions<SandboxOptions> options, TimeProvider time)
    {
        var (body, bodyProblem) = await RequestBodies.ReadAsync<DaytonaCreateRequest>(context);
        if (body is null)
        {
            return bodyProblem!;
        }

        var snapshotExists = body.Snapshot is { Length: > 0 } named && SnapshotNames.Problem(named) is null && await IsSnapshotAsync(grains, named);
        var (request, notSupported) = body.ToNative(snapshotExists);
        if (request is null)
        {
            return DaytonaErrors.NotSupported(context, notSupported!);
        }

        var (spec, problem) = SandboxRequests.ToSpec(request, options.Value);
        if (spec is null)
        {
            return Problems.InvalidField(DaytonaCreateRequest.FieldName(problem!.Field), problem.Message);
        }

        // Daytona's API answers once the sandbox runs, and the SDK gives up after its create timeout (60 s by default):
        // hold the answer a while, then answer the sandbox as it is and let the SDK poll for the rest.
        var coldId = SandboxIds.New();
        var creating = WarmPoolClaims.ClaimOrCreateAsync(grains, spec, wait: true, time.GetUtcNow(), context.RequestAborted, coldId);
        if (await Task.WhenAny(creating, Task.Delay(CreateHold, time, context.RequestAborted)) != creating)
        {
            // A claim answers at once, so this is the cold create, still under way: its failures land in its state.
            _ = creating.ContinueWith(static t => t.Exception, TaskContinuationOptions.OnlyOnFaulted);
            try
            {
                return Dto(context, await grains.GetGrain<ISandboxGrain>(coldId).GetAsync());
            }
            catch (SandboxException e) when (e.Code == SandboxErrorCodes.NotFound)
            {
                // Not even recorded yet (a slow claim before it): wait for the create after all.
            }
        }

        return Dto(context, await creating);
    }

    private static async Task<IResult> GetAsync(HttpContext context, IGrainFactory grains, string idOrName) =>
        Dto(context, await (await ResolveAsync(grains, idOrName)).GetAsync());

    private static async Task<IResult> ListAsync(
        HttpContext context, IGrainFactory grains, IOptions<PreviewOptions> options, string? cursor, int? limit)
    {
        var pageSize = limit ?? DefaultPageSize;
        if (pageSize is < 1 or > MaxPageSize)
        {
            return Problems.InvalidField("limit", $"must be from 1 to {MaxPageSize}");
        }

        // The listing walks sandboxes in id order (that is what its cursor means); another order would need them all at once.
        if (context.Request.Query["sort"] is { Count: > 0 } sort && sort[0] is { Length: > 0 } by)
        {
            return DaytonaErrors.NotSupported(context, $"sorting the list by {by} (sandboxes are listed in id order)");
        }

        var (filter, field, problem) = DaytonaListFilter.Read(context.Request.Query);
        if (filter is null)
        {
            return Problems.InvalidField(field!, problem!);
        }

        var (items, next) = await SandboxListing.PageAsync(grains, filter.Matches, cursor, pageSize);
        var toolbox = ToolboxProxyUrl(context, options.Value);
        return TypedResults.Ok(new DaytonaPage([.. items.Select(i => DaytonaSandbox.From(i, toolbox))], next));
    }

    private static async Task<IResult> DeleteAsync(HttpContext context, IGrainFactory grains, string idOrName)
    {
        var grain = await ResolveAsync(grains, idOrName);
        var before = await grain.GetAsync();
        await grain.DeleteAsync(removeAdoptedContainer: false);

        // The SDK applies a non-empty answer to its sandbox object: the whole DTO, destroyed (an empty object would wipe its id).
        return TypedResults.Ok(DaytonaSandbox.From(before, ToolboxProxyUrl(context)).AsDestroyed());
    }

    private static async Task<IResult> ReplaceLabelsAsync(HttpContext context, IGrainFactory grains, string idOrName)
    {
        var (body, bodyProblem) = await RequestBodies.ReadAsync<JsonDocument>(context);
        if (body is null)
        {
            return bodyProblem!;
        }

        using (body)
        {
            // The native PATCH reads {labels} the same way; anything else in the body is not ours to change here.
            var labelsOnly = body.RootElement.ValueKind == JsonValueKind.Object && body.RootElement.TryGetProperty("labels", out var labels)
                ? JsonSerializer.SerializeToElement(new { labels })
                : JsonSerializer.SerializeToElement(new { labels = (object?)null });
            var (update, problem) = SandboxRequests.ToUpdate(labelsOnly);
            if (update is null)
            {
                return Problems.InvalidField(problem!.Field, problem.Message);
            }

            var info = await (await ResolveAsync(grains, idOrName)).UpdateAsync(update, context.RequestAborted);
            return TypedResults.Ok(new DaytonaLabels(info.Labels));
        }
    }

    /// <summary>One lifecycle interval, checked by our policy rules (<paramref name="field"/>: Daytona's name and ours).</summary>
    private static async Task<IResult> UpdateAsync(
        HttpContext context, IGrainFactory grains, string idOrName, (string Daytona, string Native) field, int minutes, SandboxUpdate update)
    {
        if (SandboxPolicies.Problem(field.Native, minutes) is { } problem)
        {
            return Problems.InvalidField(field.Daytona, problem);
        }

        await (await ResolveAsync(grains, idOrName)).UpdateAsync(update, context.RequestAborted);
        return TypedResults.Ok();
    }

    /// <summary>
    /// Daytona's TTL counts from now (0: none); ours counts from creation, so the minutes already lived are added (rounded
    /// up, so the sandbox never goes early).
    /// </summary>
    private static async Task<IResult> SetTtlAsync(HttpContext context, IGrainFactory grains, TimeProvider time, string idOrName, int minutes)
    {
        if (minutes < 0)
        {
            return Problems.InvalidField("ttlMinutes", "must be 0 (no time limit) or more minutes");
        }

        var grain = await ResolveAsync(grains, idOrName);
        var lived = (int)Math.Ceiling((time.GetUtcNow() - (await grain.GetAsync()).CreatedAt).TotalMinutes);
        var ttl = minutes == 0 ? (int?)null : Math.Max(lived, 0) + minutes;
        if (SandboxPolicies.Problem("ttlMinutes", ttl) is { } problem)
        {
            return Problems.InvalidField("ttlMinutes", problem);
        }

        await grain.UpdateAsync(new SandboxUpdate { SetTtlMinutes = true, TtlMinutes = ttl }, context.RequestAborted);
        return TypedResults.Ok();
    }

    /// <summary>
    /// The sandbox an id or a name names (Daytona's routes take either): by id when there is one, else the first by name.
    /// Neither is a <c>sandbox_not_found</c>.
    /// </summary>
    internal static async Task<ISandboxGrain> ResolveAsync(IGrainFactory grains, string idOrName)
    {
        if (SandboxIds.IsValid(idOrName))
        {
            var byId = grains.GetGrain<ISandboxGrain>(idOrName);
            try
            {
                await byId.GetAsync();
                return byId;
            }
            catch (SandboxException e) when (e.Code == SandboxErrorCodes.NotFound)
            {
                // Perhaps a name that looks like an id.
            }
        }

        var (named, _) = await SandboxListing.PageAsync(grains, info => info.PoolId is null && info.Name == idOrName, cursor: null, pageSize: 1);
        return named is [var found]
            ? grains.GetGrain<ISandboxGrain>(found.Id)
            : throw new SandboxException(SandboxErrorCodes.NotFound, $"sandbox {idOrName} not found");
    }

    /// <summary>Our toolbox's base, which the SDK extends with <c>/{sandboxId}/…</c>: exactly the <c>/toolbox/{id}/…</c> route.</summary>
    internal static string ToolboxProxyUrl(HttpContext context, PreviewOptions? options = null) =>
        PreviewLinks.PublicBase(context.Request, options ?? context.RequestServices.GetRequiredService<IOptions<PreviewOptions>>().Value)
            .GetLeftPart(UriPartial.Authority) + "/toolbox";

    private static Ok<DaytonaSandbox> Dto(HttpContext context, SandboxInfo info) =>
        TypedResults.Ok(DaytonaSandbox.From(info, ToolboxProxyUrl(context)));

    private static async Task<bool> IsSnapshotAsync(IGrainFactory grains, string name)
    {
        try
        {
            await grains.GetGrain<ISnapshotGrain>(name).GetAsync();
            return true;
        }
        catch (SandboxException e) when (e.Code == SandboxErrorCodes.SnapshotNotFound)
        {
            return false;
        }
    }
}

/// <summary>A page of Daytona's listing: <c>{items, nextCursor}</c> (the SDK pages until the cursor is null).</summary>
internal sealed record DaytonaPage(IReadOnlyList<DaytonaSandbox> Items, string? NextCursor);

/// <summary><c>{url}</c>.</summary>
internal sealed record DaytonaUrl(string Url);

/// <summary><c>{labels}</c>, the answer to replacing them.</summary>
internal sealed record DaytonaLabels(IReadOnlyDictionary<string, string> Labels);
