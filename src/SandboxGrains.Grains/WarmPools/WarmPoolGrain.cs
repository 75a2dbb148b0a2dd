using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SandboxGrains.Grains.Sandboxes;

namespace SandboxGrains.Grains.WarmPools;

/// <summary>
/// One warm pool. It stores its spec and the ids of its members (sandboxes made for it and not yet claimed); what state
/// each member is in lives with the member, and the pool reviews them on activation and every
/// <see cref="WarmPoolOptions.ReviewInterval"/>: ready ones can be taken, lost ones are deleted, missing ones made,
/// <see cref="WarmPoolOptions.RefillConcurrency"/> at a time. Calls interleave with a refill, so a create is never
/// kept waiting behind the containers being made.
/// </summary>
internal sealed class WarmPoolGrain(
    [PersistentState("pool", StorageNames.WarmPools)] IPersistentState<WarmPoolRecord> state,
    TimeProvider time,
    IOptions<WarmPoolOptions> options,
    IOptions<SandboxOptions> sandboxOptions,
    ILogger<WarmPoolGrain> logger) : Grain, IWarmPoolGrain
{
    private readonly List<string> _ready = [];
    private readonly HashSet<string> _taken = new(StringComparer.Ordinal);
    private readonly HashSet<string> _making = new(StringComparer.Ordinal);
    private DateTimeOffset _activatedAt;
    private Task _refill = Task.CompletedTask;
    private string? _lastError;

    private string Id => this.GetPrimaryKeyString();

    private WarmPoolOptions Options => options.Value;

    private WarmPoolSpec Spec => state.State.Spec ?? throw new SandboxException(SandboxErrorCodes.WarmPoolNotFound, $"warm pool {Id} not found");

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _activatedAt = time.GetUtcNow();
        if (state.State.Spec is null)
        {
            return;
        }

        KeepReviewing();
        await ReviewAsync();
    }

    public async Task<WarmPoolInfo> CreateAsync(WarmPoolSpec spec, CancellationToken cancellationToken)
    {
        if (state.State.Spec is { } existing)
        {
            return existing == spec ? Info() : throw new SandboxException(SandboxErrorCodes.WarmPoolConflict, $"warm pool {Id} already exists");
        }

        if (!await RunnerSelector.AnyRunnerHasAsync(GrainFactory, spec.Image))
        {
            throw new SandboxException(SandboxErrorCodes.ImageNotFound, $"image: {spec.Image} is on no healthy runner; pull or build it there first");
        }

        await RequireRoomAsync(spec, spec.Size);
        if (!await Registry.TryAddAsync(Id, spec.Kind, cancellationToken))
        {
            throw new SandboxException(
                SandboxErrorCodes.WarmPoolConflict,
                $"a warm pool of {spec.Image} with {Resources(spec)} and {spec.Injection.Name()} injection exists already; change its size instead");
        }

        state.State = new WarmPoolRecord { Spec = spec, CreatedAt = time.GetUtcNow() };
        await state.WriteStateAsync(CancellationToken.None);
        KeepReviewing();
        logger.LogInformation("Warm pool {PoolId} created: {Size} of {Image}", Id, spec.Size, spec.Image);
        Refill();
        return Info();
    }

    public Task<WarmPoolInfo> GetAsync(CancellationToken cancellationToken) => Task.FromResult(Info());

    public async Task<WarmPoolInfo> ResizeAsync(int size, CancellationToken cancellationToken)
    {
        var spec = Spec;
        if (size > spec.Size)
        {
            await RequireRoomAsync(spec, size);
        }

        state.State.Spec = spec with { Size = size };
        await state.WriteStateAsync(CancellationToken.None);

        // Spares go first from those still being made or not ready, then from the ready ones.
        var spares = state.State.Members.Count - size;
        foreach (var id in state.State.Members.Where(m => !_taken.Contains(m)).OrderBy(m => _ready.Contains(m)).Take(Math.Max(0, spares)).ToList())
        {
            await RemoveAndDeleteAsync(id);
        }

        Refill();
        return Info();
    }

    public async Task DeleteAsync(CancellationToken cancellationToken)
    {
        _ = Spec;
        state.State.Spec = null;

        // The refill stops at its next step; what it is making now is deleted with the rest once made.
        await _refill;
        foreach (var id in state.State.Members.Where(m => !_taken.Contains(m)).ToList())
        {
            await RemoveAndDeleteAsync(id);
        }

        await Registry.RemoveAsync(Id, CancellationToken.None);
        await state.ClearStateAsync(CancellationToken.None);
        state.State = new WarmPoolRecord();
        logger.LogInformation("Warm pool {PoolId} deleted", Id);
        DeactivateOnIdle();
    }

    public Task<string?> TakeAsync(CancellationToken cancellationToken)
    {
        _ = Spec;
        if (_ready.Count == 0)
        {
            Refill();
            return Task.FromResult<string?>(null);
        }

        var id = _ready[0];
        _ready.RemoveAt(0);
        _taken.Add(id);
        return Task.FromResult<string?>(id);
    }

    public async Task MemberClaimedAsync(string sandboxId)
    {
        _taken.Remove(sandboxId);
        _ready.Remove(sandboxId);
        if (state.State.Members.Remove(sandboxId))
        {
            await state.WriteStateAsync(CancellationToken.None);
        }

        Refill();
    }

    public async Task MemberLostAsync(string sandboxId)
    {
        if (state.State.Members.Contains(sandboxId))
        {
            logger.LogInformation("Warm pool {PoolId} replaces sandbox {SandboxId}", Id, sandboxId);
            await RemoveAndDeleteAsync(sandboxId);
            Refill();
        }
    }

    public async Task MemberFoundAsync(string sandboxId)
    {
        if (state.State.Members.Contains(sandboxId) || _making.Contains(sandboxId))
        {
            await ReviewMemberAsync(sandboxId);
            return;
        }

        if (state.State.Spec is { } spec && state.State.Members.Count < spec.Size)
        {
            state.State.Members.Add(sandboxId);
            await state.WriteStateAsync(CancellationToken.None);
            await ReviewMemberAsync(sandboxId);
            return;
        }

        // A member of a pool deleted while its silo was down, or one more than the pool needs: nothing may keep it.
        logger.LogInformation("Warm pool {PoolId} deletes sandbox {SandboxId}: not wanted", Id, sandboxId);
        await DeleteMemberAsync(sandboxId);
    }

    public Task WakeAsync() => Task.CompletedTask;

    private WarmPoolInfo Info()
    {
        var members = state.State.Members.Count;
        return new WarmPoolInfo
        {
            Id = Id,
            Spec = Spec,
            Ready = _ready.Count,
            Provisioning = Math.Max(0, members - _ready.Count - _taken.Count),
            CreatedAt = state.State.CreatedAt,
            LastError = _lastError,
        };
    }

    /// <summary>Reviews the members every <see cref="WarmPoolOptions.ReviewInterval"/>, interleaved with calls, keeping the pool active.</summary>
    private void KeepReviewing() => this.RegisterGrainTimer(
        _ => ReviewAsync(),
        new GrainTimerCreationOptions(Options.ReviewInterval, Options.ReviewInterval) { Interleave = true, KeepAlive = true });

    /// <summary>Looks at every member not being made or handed out, then refills.</summary>
    private async Task ReviewAsync()
    {
        if (state.State.Spec is null)
        {
            return;
        }

        foreach (var id in state.State.Members.Where(m => !_making.Contains(m) && !_taken.Contains(m) && !_ready.Contains(m)).ToList())
        {
            await ReviewMemberAsync(id);
        }

        Refill();
    }

    private async Task ReviewMemberAsync(string id)
    {
        SandboxInfo info;
        try
        {
            info = await GrainFactory.GetGrain<ISandboxGrain>(id).GetAsync();
        }
        catch (SandboxException e) when (e.Code == SandboxErrorCodes.NotFound)
        {
            // Right after a restart an embedded silo is still rebuilding sandboxes from their containers: a member not
            // back yet is not lost yet.
            if (time.GetUtcNow() - _activatedAt > Options.RestartGrace && state.State.Members.Remove(id))
            {
                await state.WriteStateAsync(CancellationToken.None);
            }

            return;
        }

        switch (info)
        {
            case { PoolId: null }:
                // Claimed, and the claim's notice did not reach us.
                await MemberClaimedAsync(id);
                break;
            case { State: SandboxState.Pooled }:
                if (!_ready.Contains(id))
                {
                    _ready.Add(id);
                }

                break;
            case { State: SandboxState.Stopped or SandboxState.Error }:
                await MemberLostAsync(id);
                break;
        }
    }

    private void Refill()
    {
        if (_refill.IsCompleted && state.State.Spec is { } spec && state.State.Members.Count < spec.Size)
        {
            _refill = RefillAsync();
        }
    }

    /// <summary>Makes missing members a few at a time; stops at the first failure (no room, image gone) until the next review.</summary>
    private async Task RefillAsync()
    {
        while (state.State.Spec is { } spec && state.State.Members.Count < spec.Size)
        {
            var ids = Enumerable.Range(0, Math.Min(spec.Size - state.State.Members.Count, Options.RefillConcurrency)).Select(_ => SandboxIds.New()).ToList();
            foreach (var id in ids)
            {
                state.State.Members.Add(id);
                _making.Add(id);
            }

            // Written before the containers exist, so a crash meanwhile leaves members the pool knows and reviews.
            await state.WriteStateAsync(CancellationToken.None);
            var made = await Task.WhenAll(ids.Select(id => MakeMemberAsync(id, spec)));
            if (!made.All(ok => ok))
            {
                return;
            }
        }
    }

    private async Task<bool> MakeMemberAsync(string id, WarmPoolSpec spec)
    {
        try
        {
            var info = await GrainFactory.GetGrain<ISandboxGrain>(id).CreateAsync(spec.MemberSpec(Id, sandboxOptions.Value.PidsLimit), wait: true);
            _making.Remove(id);
            if (!state.State.Members.Contains(id))
            {
                // The pool was deleted or shrunk while this one was made.
                await DeleteMemberAsync(id);
            }
            else if (info.State == SandboxState.Pooled)
            {
                _ready.Add(id);
            }

            _lastError = null;
            return true;
        }
        catch (Exception e)
        {
            _making.Remove(id);
            _lastError = $"a sandbox for the pool could not be made: {e.Message}";
            logger.LogWarning("Warm pool {PoolId} could not make a sandbox: {Reason}", Id, e.Message);

            // A create that failed cleanly left nothing; one that did not finish is in error and reported lost.
            if (e is SandboxException && state.State.Members.Remove(id))
            {
                await state.WriteStateAsync(CancellationToken.None);
            }

            return false;
        }
    }

    private async Task RemoveAndDeleteAsync(string id)
    {
        _ready.Remove(id);
        _taken.Remove(id);
        if (state.State.Members.Remove(id))
        {
            await state.WriteStateAsync(CancellationToken.None);
        }

        if (!_making.Contains(id))
        {
            await DeleteMemberAsync(id);
        }
    }

    private async Task DeleteMemberAsync(string id)
    {
        try
        {
            await GrainFactory.GetGrain<ISandboxGrain>(id).DeleteAsync(removeAdoptedContainer: false);
        }
        catch (SandboxException e) when (e.Code == SandboxErrorCodes.NotFound)
        {
        }
        catch (SandboxException e)
        {
            // The runner cannot be reached now; the member stays in error and the next review (or reconciliation) tries again.
            logger.LogWarning("Warm pool {PoolId} could not delete sandbox {SandboxId}: {Reason}", Id, id, e.Message);
        }
    }

    private async Task RequireRoomAsync(WarmPoolSpec spec, int size)
    {
        var needed = size - state.State.Members.Count;
        if (needed <= 0)
        {
            return;
        }

        var (room, runners) = await RunnerSelector.RoomAsync(GrainFactory, new RunnerResources(spec.Cpu, spec.MemoryMb, 1));
        if (needed > room)
        {
            throw new SandboxException(
                SandboxErrorCodes.WarmPoolConflict,
                $"size: a pool of {size} sandboxes of {Resources(spec)} needs room for {needed} more, and the runners have room for {room} ({runners})");
        }
    }

    private static string Resources(WarmPoolSpec spec) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{spec.Cpu} CPU and {spec.MemoryMb} MB");

    private IWarmPoolRegistryGrain Registry => GrainFactory.GetGrain<IWarmPoolRegistryGrain>(IWarmPoolRegistryGrain.Key);
}

/// <summary>A pool's spec and the ids of its members (made for it, not yet claimed).</summary>
[GenerateSerializer, Alias("sandboxgrains.WarmPoolRecord")]
public sealed class WarmPoolRecord
{
    [Id(0)] public WarmPoolSpec? Spec { get; set; }
    [Id(1)] public DateTimeOffset CreatedAt { get; set; }
    [Id(2)] public SortedSet<string> Members { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>How warm pools refill (section <c>WarmPools</c>).</summary>
public sealed class WarmPoolOptions
{
    public const string SectionName = "WarmPools";

    /// <summary>Containers one pool makes at once; more only slows every create on a small host.</summary>
    public int RefillConcurrency { get; set; } = 2;

    /// <summary>How often a pool looks at its members and refills.</summary>
    public TimeSpan ReviewInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long after activation a member that is not found is still expected back (rebuilt from its container).</summary>
    public TimeSpan RestartGrace { get; set; } = TimeSpan.FromSeconds(30);
}
