using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SandboxGrains.Grains.Routing;
using SandboxGrains.Grains.Runners;
using SandboxGrains.Previews;

namespace SandboxGrains.Grains.Sandboxes;

/// <summary>
/// One sandbox's whole life. Calls are not reentrant, so create, stop, start, delete, Docker events and health checks
/// happen one at a time; container work is delegated to the runner grain on the silo that owns the Docker engine.
/// </summary>
internal sealed partial class SandboxGrain(
    [PersistentState("sandbox", StorageNames.Sandboxes)] IPersistentState<SandboxRecord> state,
    TimeProvider time,
    IGrainFactory grains,
    RouteInvalidation routes,
    RunnerLiveness runners,
    IOptions<DaemonInjectionOptions> daemonOptions,
    ILogger<SandboxGrain> logger) : Grain, ISandboxGrain
{
    /// <summary>Activity is kept in memory on every report but written at most this often.</summary>
    internal static readonly TimeSpan ActivityWritePeriod = TimeSpan.FromMinutes(1);

    private readonly SandboxPreviews _previews = new(state, grains, time, daemonOptions.Value.Port);

    private readonly SandboxHealth _health = new();

    // The daemon address lives beside the info, so a changed address alone must still be written.
    private string? _writtenAddress;

    private DateTimeOffset? _writtenActivity;

    private string Id => this.GetPrimaryKeyString();

    private SandboxInfo Info => state.State.Info ?? throw NotFound();

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _writtenAddress = state.State.DaemonAddress;
        _writtenActivity = state.State.Info?.LastActivityAt;
        FollowHealth();
        return Task.CompletedTask;
    }

    public async Task<SandboxInfo> CreateAsync(SandboxSpec spec, bool wait) => Shown(await CreateCoreAsync(spec, wait));

    public Task<SandboxInfo> GetAsync() => Task.FromResult(Shown(Info));

    public async Task<SandboxInfo> AdoptAsync(string container, InjectionMode injection) => Shown(await AdoptCoreAsync(container, injection));

    public async Task<SandboxInfo> StopAsync() => Shown(await StopCoreAsync());

    public async Task<SandboxInfo> StartAsync() => Shown(await StartCoreAsync());

    /// <summary>
    /// The sandbox as callers see it: with its runner's status as this silo sees it now, so a sandbox whose runner's silo
    /// is gone reads as started-on-an-unreachable-runner, not as lost.
    /// </summary>
    private SandboxInfo Shown(SandboxInfo info) => info with
    {
        RunnerStatus = info.RunnerId is not { } runnerId ? null
            : !runners.HasLiveSilo(runnerId) ? RunnerStatus.Unreachable
            : _health.EngineUnavailable ? RunnerStatus.Unhealthy
            : RunnerStatus.Healthy,
    };

    private async Task<SandboxInfo> CreateCoreAsync(SandboxSpec spec, bool wait)
    {
        if (state.State.Info is { } existing)
        {
            throw new SandboxException(SandboxErrorCodes.InvalidState, $"sandbox {Id} already exists (state {Name(existing.State)})");
        }

        var runnerId = await RunnerSelector.ReserveAsync(GrainFactory, Id, spec.Resources);
        var now = time.GetUtcNow();
        state.State = new SandboxRecord
        {
            DaemonToken = RandomNumberGenerator.GetHexString(64, lowercase: true),
            PendingSpec = wait ? null : spec,
            Info = SandboxInfoFactory.FromSpec(Id, runnerId, spec, now),
        };
        await state.WriteStateAsync();
        await Registry.AddAsync(Id);

        if (!wait)
        {
            // Finish in a separate call, so this one returns now and nothing else can run in between but queued calls.
            await this.AsReference<ISandboxGrain>().ProvisionAsync();
            return Info;
        }

        try
        {
            return await ProvisionCoreAsync(spec);
        }
        catch (SandboxException)
        {
            // A synchronous create that fails leaves nothing behind: the runner already removed any container.
            await ForgetAsync();
            throw;
        }
        catch (Exception e)
        {
            // Not a known failure (a timeout, a lost silo): the container may yet exist, so keep the record for
            // reconciliation and the caller's delete rather than risk an orphan.
            await UpdateAsync(Info with { State = SandboxState.Error, ErrorReason = $"create did not finish: {e.Message}" });
            throw;
        }
    }

    public async Task ProvisionAsync()
    {
        if (state.State is not { Info.State: SandboxState.Creating, PendingSpec: { } spec })
        {
            return;
        }

        try
        {
            await ProvisionCoreAsync(spec);
        }
        catch (SandboxException e)
        {
            await Runner(Info.RunnerId).ReleaseAsync(Id);
            await UpdateAsync(Info with { State = SandboxState.Error, ErrorReason = e.Message });
        }
        catch (Exception e)
        {
            await UpdateAsync(Info with { State = SandboxState.Error, ErrorReason = $"create did not finish: {e.Message}" });
        }
    }

    private async Task<SandboxInfo> AdoptCoreAsync(string container, InjectionMode injection)
    {
        if (state.State.Info is { } existing)
        {
            throw new SandboxException(SandboxErrorCodes.InvalidState, $"sandbox {Id} already exists (state {Name(existing.State)})");
        }

        var (runnerId, found) = await FindContainerAsync(container);
        if (SandboxLabels.IsManaged(found.Labels) || found.Adoption is not null)
        {
            var owner = found.Adoption?.SandboxId ?? SandboxLabels.SandboxIdOf(found.Labels) ?? "?";
            throw new SandboxException(SandboxErrorCodes.AlreadyManaged, $"container {found.Name} already is sandbox {owner}");
        }

        if (!found.Container.Running)
        {
            throw new SandboxException(SandboxErrorCodes.InvalidState, $"container {found.Name} is not running: only a running container can be adopted");
        }

        var token = RandomNumberGenerator.GetHexString(64, lowercase: true);
        var workDir = found.WorkingDir ?? "/";
        var launched = await Runner(runnerId).AdoptContainerAsync(found.Container.ContainerId, Id, new DaemonLaunch(injection, workDir, token));
        await Runner(runnerId).RecordAsync(Id, new RunnerResources(0, 0, 1));

        var now = time.GetUtcNow();
        state.State = new SandboxRecord
        {
            DaemonToken = token,
            DaemonAddress = launched.DaemonAddress,
            Info = SandboxInfoFactory.FromAdoption(Id, runnerId, found, launched, injection, workDir, now),
        };
        await state.WriteStateAsync();
        await Registry.AddAsync(Id);
        FollowHealth();
        LogAdopted(logger, Id, found.Name, runnerId);
        return Info;
    }


    private async Task<SandboxInfo> StopCoreAsync()
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
            await Runner(info.RunnerId).StopSandboxContainerAsync(containerId);
        }
        catch (SandboxException e) when (e.Code == SandboxErrorCodes.ContainerNotFound)
        {
            await UpdateAsync(Info with { State = SandboxState.Error, ErrorReason = SandboxHealth.ContainerGone });
            throw;
        }
        catch (SandboxException)
        {
            await UpdateAsync(info);
            throw;
        }

        state.State.DaemonAddress = null;
        return await UpdateAsync(Info with { State = SandboxState.Stopped, ErrorReason = null });
    }

    private async Task<SandboxInfo> StartCoreAsync()
    {
        var info = Info;
        if (info.State == SandboxState.Started)
        {
            return info;
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

    public async Task DeleteAsync(bool removeAdoptedContainer)
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
                    await runner.ReleaseAdoptedContainerAsync(containerId, Launch(info));
                }
                else
                {
                    await runner.RemoveSandboxContainerAsync(containerId);
                }
            }
        }
        catch (SandboxException)
        {
            // The runner could not be reached: keep the sandbox so nothing is orphaned; the caller may retry.
            await UpdateAsync(info);
            throw;
        }

        await _previews.RevokeAllAsync();
        await ForgetAsync();
        LogDeleted(logger, Id);
    }

    public async Task<IssuedPreview> CreatePreviewAsync(int port, TimeSpan? expiresIn)
    {
        if (Info.State == SandboxState.Destroying)
        {
            throw new SandboxException(SandboxErrorCodes.InvalidState, $"sandbox {Id} is being deleted");
        }

        return await _previews.CreateAsync(Id, port, expiresIn);
    }

    public Task<IReadOnlyList<PreviewRecord>> ListPreviewsAsync()
    {
        _ = Info;
        return Task.FromResult(_previews.List());
    }

    public Task<bool> RevokePreviewAsync(string tokenHashOrId)
    {
        _ = Info;
        return _previews.RevokeAsync(tokenHashOrId);
    }

    public async Task RecordActivityAsync(DateTimeOffset at)
    {
        if (state.State.Info is not { } info || info.LastActivityAt >= at)
        {
            return;
        }

        state.State.Info = info with { LastActivityAt = at };
        if (_writtenActivity is null || at - _writtenActivity >= ActivityWritePeriod)
        {
            await state.WriteStateAsync();
            _writtenActivity = at;
        }
    }

    public Task<DaemonEndpoint> GetDaemonEndpointAsync()
    {
        var info = Info;
        return Task.FromResult(new DaemonEndpoint(info.State, state.State.DaemonAddress, state.State.DaemonToken, info.RunnerId));
    }

    public async Task OnContainerEventAsync(string containerId, string action)
    {
        if (state.State.Info is not { } info || info.ContainerId != containerId
            || info.State is SandboxState.Creating or SandboxState.Starting or SandboxState.Stopping or SandboxState.Destroying)
        {
            // Our own operations cause these events too; they record the outcome themselves.
            return;
        }

        LogContainerEvent(logger, Id, action);
        await FollowContainerAsync(info);
    }

    public async Task<SandboxInfo> ReconcileAsync(string runnerId, string containerId)
    {
        if (state.State.Info is { } info)
        {
            if (info.ContainerId is { } known && known != containerId)
            {
                // Two containers claim this sandbox (a create interrupted by a crash): the one the grain knows wins.
                await Runner(runnerId).RemoveSandboxContainerAsync(containerId);
                return info;
            }

            await Runner(runnerId).RecordAsync(Id, new RunnerResources(info.Cpu, info.MemoryMb, 1));
            await Registry.AddAsync(Id);
            return info.State is SandboxState.Destroying or SandboxState.Stopping or SandboxState.Starting or SandboxState.Creating
                ? info
                : await FollowContainerAsync(info with { ContainerId = containerId });
        }

        var found = await Runner(runnerId).ReadContainerAsync(containerId);
        var rebuilt = SandboxInfoFactory.FromContainer(Id, runnerId, found, time.GetUtcNow());
        state.State = new SandboxRecord { Info = rebuilt, DaemonToken = found.DaemonToken };
        await Runner(runnerId).RecordAsync(Id, new RunnerResources(rebuilt.Cpu, rebuilt.MemoryMb, 1));
        await Registry.AddAsync(Id);
        LogRebuilt(logger, Id, runnerId);
        if (found.DaemonToken is null)
        {
            return await UpdateAsync(rebuilt with { State = SandboxState.Error, ErrorReason = "the daemon secret could not be read back from the container" });
        }

        return await FollowContainerAsync(rebuilt);
    }

    private async Task<SandboxInfo> ProvisionCoreAsync(SandboxSpec spec)
    {
        var info = Info;
        var request = new SandboxContainerRequest(Id, info.Name, spec, state.State.DaemonToken!, info.CreatedAt);
        SandboxContainer created;
        try
        {
            created = await Runner(info.RunnerId).CreateSandboxContainerAsync(request);
        }
        catch (SandboxException e)
        {
            LogCreateFailed(logger, Id, e.Message);
            throw;
        }

        state.State.PendingSpec = null;
        var result = await OnServingAsync(created);
        LogStarted(logger, Id, Info.RunnerId ?? "?", created.DaemonAddress ?? "?");
        return result;
    }

    /// <summary>Looks at the container and its daemon, restarts a dead daemon where it can, and records what it found.</summary>
    private async Task<SandboxInfo> FollowContainerAsync(SandboxInfo info)
    {
        switch (await _health.LookAsync(info, containerId => Runner(info.RunnerId).EnsureDaemonAsync(containerId, Launch(info))))
        {
            case HealthVerdict.Serving serving:
                return await OnServingAsync(serving.Container);
            case HealthVerdict.Changed changed:
                if (!changed.ContainerRuns)
                {
                    state.State.DaemonAddress = null;
                }

                return await UpdateAsync(changed.Info);
            default:
                return info;
        }
    }

    private async Task<SandboxInfo> OnServingAsync(SandboxContainer container)
    {
        _health.DaemonAnswered();
        state.State.DaemonAddress = container.DaemonAddress;
        var info = await UpdateAsync(Info with
        {
            State = SandboxState.Started,
            ErrorReason = null,
            ContainerId = container.ContainerId,
            DaemonVersion = container.DaemonVersion,
        });
        FollowHealth();
        return info;
    }

    /// <summary>
    /// Persists a new view of the sandbox, unless nothing changed (the health check confirms the same state every few
    /// seconds; that must not become a storage write each time).
    /// </summary>
    private async Task<SandboxInfo> UpdateAsync(SandboxInfo info)
    {
        var before = state.State.Info;
        if (before is not null && info with { UpdatedAt = before.UpdatedAt } == before && state.State.DaemonAddress == _writtenAddress)
        {
            return before;
        }

        var routeChanged = before is null || before.State != info.State || state.State.DaemonAddress != _writtenAddress;
        state.State.Info = info with { UpdatedAt = time.GetUtcNow() };
        await state.WriteStateAsync();
        _writtenAddress = state.State.DaemonAddress;
        _writtenActivity = info.LastActivityAt;
        FollowHealth();
        if (routeChanged)
        {
            // Front ends cache where this sandbox's daemon is and whether it serves; a stopped sandbox must answer 409
            // on every silo now, not when the cache ages out.
            await routes.SandboxChangedAsync(Id);
        }

        return state.State.Info;
    }

    /// <summary>Runs the health check while the sandbox is started, and only then.</summary>
    private void FollowHealth() => _health.Follow(this, state.State.Info?.State == SandboxState.Started, CheckHealthAsync);

    private async Task CheckHealthAsync(CancellationToken cancellationToken)
    {
        if (state.State.Info is { State: SandboxState.Started } info)
        {
            await FollowContainerAsync(info);
        }
    }

    private async Task ForgetAsync()
    {
        if (state.State.Info?.RunnerId is { } runnerId)
        {
            await Runner(runnerId).ReleaseAsync(Id);
        }

        await Registry.RemoveAsync(Id);
        await state.ClearStateAsync();
        state.State = new SandboxRecord();
        FollowHealth();
        await routes.SandboxChangedAsync(Id);
    }

    private async Task<(string RunnerId, RecoveredContainer Found)> FindContainerAsync(string container)
    {
        var runners = await GrainFactory.GetGrain<IRunnerRegistryGrain>(IRunnerRegistryGrain.Key).ListAsync();
        var reasons = new List<string>();
        foreach (var runnerId in runners)
        {
            try
            {
                return (runnerId, await Runner(runnerId).ReadContainerAsync(container));
            }
            catch (SandboxException e)
            {
                reasons.Add(e.Message);
            }
        }

        throw new SandboxException(
            SandboxErrorCodes.ContainerNotFound,
            reasons.Count == 0 ? $"container {container} not found: no runner has joined the cluster" : $"container {container} not found ({string.Join("; ", reasons)})");
    }

    private DaemonLaunch Launch(SandboxInfo info) => new(info.Injection, info.WorkDir ?? "/", state.State.DaemonToken ?? "");

    private IRunnerGrain Runner(string? runnerId) => GrainFactory.GetGrain<IRunnerGrain>(
        runnerId ?? throw new SandboxException(SandboxErrorCodes.InvalidState, $"sandbox {Id} has no runner"));

    private ISandboxRegistryGrain Registry => GrainFactory.GetGrain<ISandboxRegistryGrain>(ISandboxRegistryGrain.Key);

    private string RequireContainer(SandboxInfo info, string action) => info.ContainerId
        ?? throw new SandboxException(SandboxErrorCodes.InvalidState, $"sandbox {Id} cannot {action} while {Name(info.State)}: it has no container yet");

    private SandboxException NotFound() => new(SandboxErrorCodes.NotFound, $"sandbox {Id} not found");

    private static string Name(SandboxState state) => state.ToString().ToLowerInvariant();

    [LoggerMessage(1, LogLevel.Information, "Sandbox {SandboxId} started on runner {RunnerId}, daemon at {Address}")]
    private static partial void LogStarted(ILogger logger, string sandboxId, string runnerId, string address);

    [LoggerMessage(2, LogLevel.Warning, "Sandbox {SandboxId} could not be created: {Reason}")]
    private static partial void LogCreateFailed(ILogger logger, string sandboxId, string reason);

    [LoggerMessage(3, LogLevel.Information, "Sandbox {SandboxId} deleted")]
    private static partial void LogDeleted(ILogger logger, string sandboxId);

    [LoggerMessage(4, LogLevel.Information, "Sandbox {SandboxId}: container event {Action}")]
    private static partial void LogContainerEvent(ILogger logger, string sandboxId, string action);

    [LoggerMessage(5, LogLevel.Information, "Sandbox {SandboxId} rebuilt from its container (labels or adoption marker) on runner {RunnerId}")]
    private static partial void LogRebuilt(ILogger logger, string sandboxId, string runnerId);

    [LoggerMessage(6, LogLevel.Information, "Sandbox {SandboxId} adopted container {Container} on runner {RunnerId}")]
    private static partial void LogAdopted(ILogger logger, string sandboxId, string container, string runnerId);
}
