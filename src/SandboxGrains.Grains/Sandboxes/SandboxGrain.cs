using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SandboxGrains.Grains.Routing;
using SandboxGrains.Grains.Runners;
using SandboxGrains.Grains.Telemetry;
using SandboxGrains.Previews;

namespace SandboxGrains.Grains.Sandboxes;

/// <summary>
/// One sandbox's whole life. Calls are not reentrant, so create, stop, start, delete, Docker events and health checks
/// happen one at a time; container work is delegated to the runner grain on the silo that owns the Docker engine. The
/// grain orchestrates: <see cref="SandboxInfoFactory"/> makes a sandbox's first view, <see cref="SandboxHealth"/> follows
/// a started container, <see cref="SandboxPreviews"/> keeps its links, <see cref="SandboxRecordWriter"/> writes what
/// changed, <see cref="AdoptionTarget"/> finds a container to adopt, and <see cref="SandboxLifecycle"/> says when a
/// lifecycle policy is due; one Orleans reminder wakes the grain then, so policies survive restarts and failovers.
/// </summary>
internal sealed partial class SandboxGrain(
    [PersistentState("sandbox", StorageNames.Sandboxes)] IPersistentState<SandboxRecord> state,
    TimeProvider time,
    IGrainFactory grains,
    RouteInvalidation routes,
    Events.ClusterEvents events,
    RunnerLiveness runners,
    IOptions<DaemonInjectionOptions> daemonOptions,
    IOptions<LifecycleOptions> lifecycleOptions,
    IOptions<Snapshots.SnapshotOptions> snapshotOptions,
    RegistryManifests manifests,
    ILogger<SandboxGrain> logger) : Grain, ISandboxGrain, IRemindable
{
    private readonly TimeSpan _minute = lifecycleOptions.Value.MinuteLength;

    private LifecycleReminder? _lifecycleReminder;

    // Made on first use: it needs the grain itself, which a field initializer cannot name.
    private LifecycleReminder Reminder => _lifecycleReminder ??= new LifecycleReminder(this, time, _minute);

    private readonly SandboxPreviews _previews = new(state, grains, time, daemonOptions.Value.Port);

    private readonly SandboxHealth _health = new();

    private readonly SandboxRecordWriter _writer = new(state, time);

    private string Id => this.GetPrimaryKeyString();

    private SandboxInfo Info => state.State.Info ?? throw NotFound();

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _writer.Loaded();
        FollowHealth();
        return Task.CompletedTask;
    }

    // A create or start runs to the end once begun, whatever its caller does: cut short, a create would leave a record
    // and a reservation for a container that is gone (or, cut inside Docker's own create, one it cannot see), and a start
    // a sandbox in error whose container runs. A caller that gave up reads the outcome with a get.
    public async Task<SandboxInfo> CreateAsync(SandboxSpec spec, bool wait, CancellationToken cancellationToken) =>
        Shown(await SandboxOperations.MeasureAsync("create", Id, () => CreateCoreAsync(spec, wait)));

    public Task<SandboxInfo> GetAsync(CancellationToken cancellationToken) => Task.FromResult(Shown(Info));

    public async Task<SandboxInfo> AdoptAsync(string container, InjectionMode injection, CancellationToken cancellationToken) =>
        Shown(await AdoptCoreAsync(container, injection, cancellationToken));

    public async Task<SandboxInfo> StopAsync(CancellationToken cancellationToken) =>
        Shown(await StopMeasuredAsync("stopped on request", cancellationToken));

    public async Task<SandboxInfo> StartAsync(CancellationToken cancellationToken) =>
        Shown(await SandboxOperations.MeasureAsync("start", Id, StartCoreAsync));

    private Task<SandboxInfo> StopMeasuredAsync(string? reason, CancellationToken cancellationToken) =>
        SandboxOperations.MeasureAsync("stop", Id, () => StopCoreAsync(reason, cancellationToken));

    private Task DeleteMeasuredAsync(bool removeAdoptedContainer, CancellationToken cancellationToken) =>
        SandboxOperations.MeasureAsync("delete", Id, () => DeleteCoreAsync(removeAdoptedContainer, cancellationToken));

    /// <summary>
    /// The sandbox as callers see it: with its runner's status as this silo sees it now, so a sandbox whose runner's silo
    /// is gone reads as started-on-an-unreachable-runner, not as lost.
    /// </summary>
    private SandboxInfo Shown(SandboxInfo info) => info with
    {
        Pull = info.State == SandboxState.Pulling ? _pullProgress : null,
        RunnerStatus = info.RunnerId is not { } runnerId ? null
            : !runners.HasLiveSilo(runnerId) ? RunnerStatus.Unreachable
            : _health.EngineUnavailable ? RunnerStatus.Unhealthy
            : RunnerStatus.Healthy,
    };

    private async Task<SandboxInfo> AdoptCoreAsync(string container, InjectionMode injection, CancellationToken cancellationToken)
    {
        RequireNoSandbox();

        // The search may be cut short; the injection may not, since a half-adopted container would carry a marker with no
        // sandbox behind it.
        var (runnerId, found) = await AdoptionTarget.FindAsync(grains, container, cancellationToken);
        var token = NewDaemonToken();
        var workDir = found.WorkingDir ?? "/";
        var launched = await Runner(runnerId).AdoptContainerAsync(
            found.Container.ContainerId, Id, new DaemonLaunch(injection, workDir, token), CancellationToken.None);
        await Runner(runnerId).RecordAsync(Id, new RunnerResources(0, 0, 1), CancellationToken.None);

        var now = time.GetUtcNow();
        state.State = new SandboxRecord
        {
            DaemonToken = token,
            DaemonAddress = launched.DaemonAddress,
            Info = SandboxInfoFactory.FromAdoption(Id, runnerId, found, launched, injection, workDir, now),
        };
        await state.WriteStateAsync(CancellationToken.None);
        await Registry.AddAsync(Id, CancellationToken.None);
        await events.PublishAsync(StateEvent(null, Info, "adopted"));
        FollowHealth();
        logger.Adopted(Id, found.Name, runnerId);
        return Info;
    }

    private async Task<SandboxInfo> StopCoreAsync(string? reason, CancellationToken cancellationToken)
    {
        var info = Info;
        if (info.State == SandboxState.Stopped)
        {
            return info;
        }

        var containerId = RequireContainer(info, "stop");
        await UpdateAsync(info with { State = SandboxState.Stopping });
        try
        {
            await Runner(info.RunnerId).StopSandboxContainerAsync(containerId, cancellationToken);
        }
        catch (SandboxException e) when (e.Code == SandboxErrorCodes.ContainerNotFound)
        {
            await UpdateAsync(Info with { State = SandboxState.Error, ErrorReason = SandboxHealth.ContainerGone });
            throw;
        }
        catch (Exception e) when (e is SandboxException or OperationCanceledException)
        {
            // Back to what it was; if the container did stop, its event or the next health check says so.
            await UpdateAsync(info);
            throw;
        }

        state.State.DaemonAddress = null;
        return await UpdateAsync(Info with { State = SandboxState.Stopped, ErrorReason = null }, reason);
    }

    private async Task<SandboxInfo> StartCoreAsync()
    {
        var info = Info;
        if (info.State is SandboxState.Started or SandboxState.Pooled)
        {
            return info;
        }

        if (info.State == SandboxState.Archived)
        {
            return await RestoreCoreAsync(info);
        }

        var containerId = RequireContainer(info, "start");
        await UpdateAsync(info with { State = SandboxState.Starting, ErrorReason = null });
        try
        {
            var started = await Runner(info.RunnerId).StartSandboxContainerAsync(containerId, Launch(info));
            return await OnServingAsync(started);
        }
        catch (SandboxException e)
        {
            await UpdateAsync(Info with { State = SandboxState.Error, ErrorReason = e.Message });
            throw;
        }
    }

    public Task DeleteAsync(bool removeAdoptedContainer, CancellationToken cancellationToken) =>
        DeleteMeasuredAsync(removeAdoptedContainer, cancellationToken);

    private async Task DeleteCoreAsync(bool removeAdoptedContainer, CancellationToken cancellationToken)
    {
        var info = Info;
        await UpdateAsync(info with { State = SandboxState.Destroying });
        try
        {
            if (info.ContainerId is { } containerId)
            {
                var runner = Runner(info.RunnerId);
                if (info.Adopted && !removeAdoptedContainer)
                {
                    await runner.ReleaseAdoptedContainerAsync(containerId, Launch(info), cancellationToken);
                }
                else
                {
                    await runner.RemoveSandboxContainerAsync(containerId, cancellationToken);
                }
            }

            // A snapshot deleted while this sandbox ran on its image could not take the image along (Docker keeps an image
            // a container uses); the last sandbox made from it does. Refused while another such container remains.
            if (info.Snapshot is { } snapshot && info.RunnerId is not null && !await SnapshotExistsAsync(snapshot))
            {
                await Runner(info.RunnerId).RemoveImageAsync(info.Image, cancellationToken);
            }

            // Also when an archive was begun but not recorded: left behind, it would bring the sandbox back at the next start-up.
            if (state.State.ArchiveImage is not null || info.State == SandboxState.Archiving)
            {
                await Runner(info.RunnerId).RemoveImageAsync(state.State.ArchiveImage ?? SandboxLabels.ArchiveImage(Id), cancellationToken);
            }

            if (RemoteArchive is { } pulled && state.State.ArchiveImage is not null && info.RunnerId is not null)
            {
                // The registry copy's tag on this runner (pulled for a restore here, or left by the push).
                await Runner(info.RunnerId).RemoveImageAsync(pulled, cancellationToken);
            }

            await RemoveRemoteArchiveAsync();
        }
        catch (Exception e) when (e is SandboxException or OperationCanceledException)
        {
            // The runner could not be reached, or the caller gave up: keep the sandbox so nothing is orphaned; the caller
            // may retry.
            await UpdateAsync(info);
            throw;
        }

        await _previews.RevokeAllAsync();
        await ForgetAsync();
        logger.Deleted(Id);
    }

    public async Task<IssuedPreview> CreatePreviewAsync(int port, TimeSpan? expiresIn, CancellationToken cancellationToken)
    {
        if (Info.State == SandboxState.Destroying)
        {
            throw new SandboxException(SandboxErrorCodes.InvalidState, $"sandbox {Id} is being deleted");
        }

        var issued = await _previews.CreateAsync(Id, port, expiresIn);
        await events.PublishAsync(PreviewEvent(ClusterEventTypes.PreviewCreated, issued.Record));
        return issued;
    }

    public async Task<IssuedPreview> GetStandingPreviewAsync(int port, CancellationToken cancellationToken)
    {
        if (Info.State == SandboxState.Destroying)
        {
            throw new SandboxException(SandboxErrorCodes.InvalidState, $"sandbox {Id} is being deleted");
        }

        var secret = state.State.DaemonToken
            ?? throw new SandboxException(SandboxErrorCodes.InvalidState, $"sandbox {Id} has no daemon secret yet; ask again once it is created");
        var (issued, created) = await _previews.GetOrCreateStandingAsync(Id, port, secret);
        if (created)
        {
            await events.PublishAsync(PreviewEvent(ClusterEventTypes.PreviewCreated, issued.Record));
        }

        return issued;
    }

    public Task<IReadOnlyList<PreviewRecord>> ListPreviewsAsync(CancellationToken cancellationToken)
    {
        _ = Info;
        return Task.FromResult(_previews.List());
    }

    public async Task<bool> RevokePreviewAsync(string tokenHashOrId, CancellationToken cancellationToken)
    {
        _ = Info;
        if (await _previews.RevokeAsync(tokenHashOrId) is not { } revoked)
        {
            return false;
        }

        await events.PublishAsync(PreviewEvent(ClusterEventTypes.PreviewRevoked, revoked));
        return true;
    }

    public Task RecordActivityAsync(DateTimeOffset at) => _writer.RecordActivityAsync(at);

    public Task<DaemonEndpoint> GetDaemonEndpointAsync(CancellationToken cancellationToken)
    {
        var info = Info;
        return Task.FromResult(new DaemonEndpoint(info.State, state.State.DaemonAddress, state.State.DaemonToken, info.RunnerId));
    }

    private async Task<SandboxInfo> OnServingAsync(SandboxContainer container)
    {
        _health.DaemonAnswered();
        state.State.DaemonAddress = container.DaemonAddress;
        var info = await UpdateAsync(Info with
        {
            // A warm pool's sandbox waits, serving, until a create claims it.
            State = Info.PoolId is null ? SandboxState.Started : SandboxState.Pooled,
            ErrorReason = null,
            ContainerId = container.ContainerId,
            DaemonVersion = container.DaemonVersion,
        });
        FollowHealth();
        return info;
    }

    /// <summary>Records a new view of the sandbox (unless nothing changed) and tells whoever follows it.</summary>
    private async Task<SandboxInfo> UpdateAsync(SandboxInfo info, string? reason = null)
    {
        var before = state.State.Info;
        var (current, written, routeChanged) = await _writer.WriteAsync(info, reason);
        if (!written)
        {
            return current;
        }

        FollowHealth();
        // Front ends cache where this sandbox's daemon is and whether it serves; a stopped sandbox must answer 409 on
        // every silo now, not when the cache ages out. Subscribers on every silo hear of a new state as it happens.
        await Task.WhenAll(
            routeChanged ? routes.SandboxChangedAsync(Id) : Task.CompletedTask,
            before?.State != current.State ? events.PublishAsync(StateEvent(before, current, reason)) : Task.CompletedTask);

        if (before is null || before.State != current.State || before.Policies != current.Policies)
        {
            await ScheduleLifecycleAsync();
        }

        if (current is { PoolId: { } poolId, State: SandboxState.Stopped or SandboxState.Error } && before?.State != current.State)
        {
            // A pooled sandbox that stopped or broke is of no use to anyone: its pool removes it and makes another.
            await Pool(poolId).MemberLostAsync(Id);
        }

        return current;
    }

    private async Task ForgetAsync()
    {
        var forgotten = state.State.Info;
        if (forgotten?.RunnerId is { } runnerId)
        {
            await Runner(runnerId).ReleaseAsync(Id);
        }

        if (forgotten?.PoolId is { } poolId)
        {
            await Pool(poolId).MemberLostAsync(Id);
        }

        await DetachVolumesAsync(forgotten?.Volumes ?? []);

        await Registry.RemoveAsync(Id);
        await state.ClearStateAsync();
        state.State = new SandboxRecord();
        FollowHealth();
        await Task.WhenAll(
            routes.SandboxChangedAsync(Id),
            forgotten is null ? Task.CompletedTask : events.PublishAsync(new ClusterEvent(
                ClusterEventTypes.SandboxDeleted, time.GetUtcNow(), Id, forgotten with { State = SandboxState.Destroyed }, forgotten.State, SandboxState.Destroyed)));
        await ScheduleLifecycleAsync();
    }

    /// <summary>The event a new state makes: created for a sandbox's first, state updated (from, to, why) for every other.</summary>
    private ClusterEvent StateEvent(SandboxInfo? before, SandboxInfo current, string? reason) => before is null
        ? new ClusterEvent(ClusterEventTypes.SandboxCreated, current.UpdatedAt, Id, Shown(current), To: current.State)
        : new ClusterEvent(ClusterEventTypes.SandboxStateUpdated, current.UpdatedAt, Id, Shown(current), before.State, current.State, reason ?? current.ErrorReason);

    private ClusterEvent PreviewEvent(string type, PreviewRecord preview) =>
        new(type, time.GetUtcNow(), Id, Shown(Info)) { Preview = preview };

    private DaemonLaunch Launch(SandboxInfo info) => new(info.Injection, info.WorkDir ?? "/", state.State.DaemonToken ?? "");

    private IRunnerGrain Runner(string? runnerId) => grains.GetGrain<IRunnerGrain>(
        runnerId ?? throw new SandboxException(SandboxErrorCodes.InvalidState, $"sandbox {Id} has no runner"));

    private IWarmPoolGrain Pool(string poolId) => grains.GetGrain<IWarmPoolGrain>(poolId);

    private ISandboxRegistryGrain Registry => grains.GetGrain<ISandboxRegistryGrain>(ISandboxRegistryGrain.Key);

    private void RequireNoSandbox()
    {
        if (state.State.Info is { } existing)
        {
            throw new SandboxException(SandboxErrorCodes.InvalidState, $"sandbox {Id} already exists (state {Name(existing.State)})");
        }
    }

    private string RequireContainer(SandboxInfo info, string action) => info.ContainerId
        ?? throw new SandboxException(SandboxErrorCodes.InvalidState, $"sandbox {Id} cannot {action} while {Name(info.State)}: it has no container yet");

    private SandboxException NotFound() => new(SandboxErrorCodes.NotFound, $"sandbox {Id} not found");

    /// <summary>A fresh per-sandbox daemon secret: 256 random bits.</summary>
    private static string NewDaemonToken() => RandomNumberGenerator.GetHexString(64, lowercase: true);

    private static string Name(SandboxState state) => state.ToString().ToLowerInvariant();
}
