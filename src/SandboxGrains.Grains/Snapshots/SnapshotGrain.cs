using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace SandboxGrains.Grains.Snapshots;

/// <summary>
/// One snapshot's life: building (the sandbox commits its container on its runner), pushing (to the snapshot registry,
/// when one is configured), active, or error. Calls are not reentrant, so a delete waits for a build under way, and is
/// refused while a create from the snapshot holds it. Nothing half-made outlives a failure: the image is removed from
/// the runner, and a waiting caller's record too.
/// </summary>
internal sealed partial class SnapshotGrain(
    [PersistentState("snapshot", StorageNames.Snapshots)] IPersistentState<SnapshotRecord> state,
    TimeProvider time,
    IOptions<SnapshotOptions> options,
    RegistryManifests manifests,
    Events.ClusterEvents events,
    ILogger<SnapshotGrain> logger) : Grain, ISnapshotGrain
{
    /// <summary>A create holds its snapshot at most this long: longer, its silo died mid-create and the hold is stale.</summary>
    private static readonly TimeSpan HoldLimit = TimeSpan.FromMinutes(20);

    private string Name => this.GetPrimaryKeyString();

    private SnapshotInfo Info => state.State.Info ?? throw NotFound();

    public async Task<SnapshotInfo> CreateAsync(string sandboxId, bool wait, CancellationToken cancellationToken)
    {
        if (SnapshotNames.Problem(Name) is { } problem)
        {
            throw new SandboxException(SandboxErrorCodes.InvalidRequest, $"name: {problem}");
        }

        if (state.State.Info is { } existing)
        {
            throw new SandboxException(SandboxErrorCodes.SnapshotExists, $"snapshot {Name} exists already ({existing.State.ToString().ToLowerInvariant()}); delete it first or pick another name");
        }

        var sandbox = await GrainFactory.GetGrain<ISandboxGrain>(sandboxId).GetAsync(cancellationToken);
        var now = time.GetUtcNow();
        var registry = options.Value.Registry is { Length: > 0 } configured ? configured : null;
        state.State = new SnapshotRecord
        {
            PendingSandboxId = sandboxId,
            Info = new SnapshotInfo
            {
                Name = Name,
                State = SnapshotState.Building,
                Image = SnapshotNames.Image(Name, registry, "s" + RandomNumberGenerator.GetHexString(12, lowercase: true)),
                RunnerId = sandbox.RunnerId ?? "",
                Registry = registry,
                SourceSandboxId = sandboxId,
                CreatedAt = now,
                UpdatedAt = now,
            },
        };
        await state.WriteStateAsync(CancellationToken.None);
        await Registry.AddAsync(Name, CancellationToken.None);
        await PublishAsync(ClusterEventTypes.SnapshotStateUpdated, state.State.Info);

        if (!wait)
        {
            await this.AsReference<ISnapshotGrain>().BuildAsync();
            return Info;
        }

        try
        {
            return await BuildCoreAsync(sandboxId);
        }
        catch (Exception)
        {
            // The caller waited and hears why; nothing of the snapshot is left for them to clean up.
            await RemoveBuiltImageAsync();
            await ForgetAsync();
            throw;
        }
    }

    public async Task BuildAsync()
    {
        if (state.State is not { Info.State: SnapshotState.Building, PendingSandboxId: { } sandboxId })
        {
            return;
        }

        try
        {
            await BuildCoreAsync(sandboxId);
        }
        catch (Exception e)
        {
            // A timeout or a lost silo too: the record must not stay building for ever, nor its image be left unowned.
            await RemoveBuiltImageAsync();
            state.State.PendingSandboxId = null;
            await WriteAsync(Info with { State = SnapshotState.Error, ErrorReason = e is SandboxException ? e.Message : $"the snapshot did not finish: {e.Message}" });
        }
    }

    public Task<SnapshotInfo> GetAsync(CancellationToken cancellationToken) => Task.FromResult(Info);

    public async Task DeleteAsync(CancellationToken cancellationToken)
    {
        var info = Info;
        if (ActiveHolders() is { Count: > 0 } holders)
        {
            throw new SandboxException(SandboxErrorCodes.SnapshotInUse,
                $"snapshot {Name} is in use: sandbox {string.Join(", ", holders)} is being created from it; delete it once that is done");
        }

        if (info.Registry is not null && info.State is SnapshotState.Active or SnapshotState.Pushing)
        {
            try
            {
                await manifests.DeleteAsync(info.Image, cancellationToken);
            }
            catch (Exception e) when (e is RegistryException or HttpRequestException or OperationCanceledException)
            {
                // Best effort: a registry that will not delete (token auth, deletes disabled, away) keeps the image; the
                // snapshot is gone from the cluster all the same, and the log names what is left where.
                LogImageLeft(Name, info.Registry, e.Message);
            }
        }

        await RemoveLocalImagesAsync(info);
        await ForgetAsync();
        LogDeleted(Name);
    }

    public async Task<SnapshotInfo> AcquireAsync(string sandboxId, CancellationToken cancellationToken)
    {
        var info = state.State.Info ?? throw new SandboxException(SandboxErrorCodes.InvalidRequest, $"snapshot: no snapshot {Name}");
        if (info.State != SnapshotState.Active)
        {
            throw new SandboxException(SandboxErrorCodes.InvalidState, $"snapshot {Name} is {info.State.ToString().ToLowerInvariant()}, not active{(info.ErrorReason is { } reason ? $": {reason}" : "")}");
        }

        // A snapshot kept on one runner is only as real as the image there: someone may have removed it by hand.
        if (info.Registry is null && !await Runner(info.RunnerId).HasImageAsync(info.Image, cancellationToken))
        {
            var gone = await WriteAsync(info with { State = SnapshotState.Error, ErrorReason = $"its image {info.Image} is gone from runner {info.RunnerId}" });
            throw new SandboxException(SandboxErrorCodes.InvalidState, $"snapshot {Name} is {gone.State.ToString().ToLowerInvariant()}: {gone.ErrorReason}");
        }

        state.State.Holders[sandboxId] = time.GetUtcNow();
        await state.WriteStateAsync(CancellationToken.None);
        return info;
    }

    public async Task ReleaseAsync(string sandboxId, CancellationToken cancellationToken)
    {
        if (state.State.Holders.Remove(sandboxId))
        {
            await state.WriteStateAsync(CancellationToken.None);
        }
    }

    private async Task<SnapshotInfo> BuildCoreAsync(string sandboxId)
    {
        var info = Info;
        var source = await GrainFactory.GetGrain<ISandboxGrain>(sandboxId).CommitSnapshotAsync(info.Image, Name);
        info = await WriteAsync(info with { RunnerId = source.RunnerId, SizeBytes = source.SizeBytes, State = info.Registry is null ? SnapshotState.Active : SnapshotState.Pushing });
        if (info.Registry is not null)
        {
            try
            {
                await Runner(source.RunnerId).PushImageAsync(info.Image);
            }
            catch (SandboxException)
            {
                // A failed push leaves no image behind on the runner either.
                await Runner(source.RunnerId).RemoveImageAsync(info.Image);
                throw;
            }

            info = await WriteAsync(info with { State = SnapshotState.Active });
        }

        state.State.PendingSandboxId = null;
        await state.WriteStateAsync(CancellationToken.None);
        LogActive(Name, info.Image, source.SizeBytes);
        return info;
    }

    /// <summary>After a failed build: whatever of the image the runner made, off it (best effort; it may never have been made).</summary>
    private async Task RemoveBuiltImageAsync()
    {
        if (state.State.Info is { RunnerId.Length: > 0 } info)
        {
            try
            {
                await Runner(info.RunnerId).RemoveImageAsync(info.Image, CancellationToken.None);
            }
            catch (Exception e)
            {
                LogImageLeft(Name, info.RunnerId, e.Message);
            }
        }
    }

    /// <summary>The snapshot's image off every runner that has it: the one it was built on, and any that pulled it since.</summary>
    private async Task RemoveLocalImagesAsync(SnapshotInfo info)
    {
        var runners = await GrainFactory.GetGrain<IRunnerRegistryGrain>(IRunnerRegistryGrain.Key).ListAsync();
        foreach (var runnerId in runners)
        {
            try
            {
                await Runner(runnerId).RemoveImageAsync(info.Image);
            }
            catch (SandboxException e) when (runnerId != info.RunnerId || info.Registry is not null)
            {
                // A runner away now keeps its pulled copy until its operator prunes it; the registry no longer has it.
                LogImageLeft(Name, runnerId, e.Message);
            }
        }
    }

    private async Task<SnapshotInfo> WriteAsync(SnapshotInfo info)
    {
        var before = state.State.Info?.State;
        state.State.Info = info with { UpdatedAt = time.GetUtcNow() };
        await state.WriteStateAsync(CancellationToken.None);
        if (before != info.State)
        {
            await PublishAsync(ClusterEventTypes.SnapshotStateUpdated, state.State.Info);
        }

        return state.State.Info;
    }

    private async Task ForgetAsync()
    {
        var forgotten = state.State.Info;
        await Registry.RemoveAsync(Name, CancellationToken.None);
        await state.ClearStateAsync(CancellationToken.None);
        state.State = new SnapshotRecord();
        if (forgotten is not null)
        {
            await PublishAsync(ClusterEventTypes.SnapshotDeleted, forgotten);
        }
    }

    private Task PublishAsync(string type, SnapshotInfo info) =>
        events.PublishAsync(new ClusterEvent(type, time.GetUtcNow(), info.SourceSandboxId, Reason: info.ErrorReason) { Snapshot = info });

    private List<string> ActiveHolders()
    {
        var now = time.GetUtcNow();
        return [.. state.State.Holders.Where(h => now - h.Value < HoldLimit).Select(h => h.Key)];
    }

    private IRunnerGrain Runner(string runnerId) => GrainFactory.GetGrain<IRunnerGrain>(runnerId);

    private ISnapshotRegistryGrain Registry => GrainFactory.GetGrain<ISnapshotRegistryGrain>(ISnapshotRegistryGrain.Key);

    private SandboxException NotFound() => new(SandboxErrorCodes.SnapshotNotFound, $"snapshot {Name} not found");

    [LoggerMessage(Level = LogLevel.Information, Message = "Snapshot {Name} active: {Image} ({Bytes} bytes)")]
    private partial void LogActive(string name, string image, long bytes);

    [LoggerMessage(Level = LogLevel.Information, Message = "Snapshot {Name} deleted")]
    private partial void LogDeleted(string name);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Snapshot {Name}: its image stays at {Where} for now: {Reason}")]
    private partial void LogImageLeft(string name, string where, string reason);
}

/// <summary>A snapshot's stored record: its view, the sandbox a build not yet finished is taken from, and the creates holding it.</summary>
[GenerateSerializer, Alias("sandboxgrains.SnapshotRecord")]
public sealed class SnapshotRecord
{
    [Id(0)]
    public SnapshotInfo? Info { get; set; }

    [Id(1)]
    public string? PendingSandboxId { get; set; }

    [Id(2)]
    public Dictionary<string, DateTimeOffset> Holders { get; set; } = new(StringComparer.Ordinal);
}
