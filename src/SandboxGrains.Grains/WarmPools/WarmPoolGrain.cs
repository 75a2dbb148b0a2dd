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
internal sealed partial class WarmPoolGrain(
    [PersistentState("pool", StorageNames.WarmPools)] IPersistentState<WarmPoolRecord> state,
    TimeProvider time,
    IOptions<WarmPoolOptions> options,
    IOptions<SandboxOptions> sandboxOptions,
    Events.ClusterEvents events,
    ILogger<WarmPoolGrain> logger) : Grain, IWarmPoolGrain
{
    /// <summary>How long a member may be handed to a create without word of its claim before the pool looks at it again.</summary>
    private static readonly TimeSpan ClaimPatience = TimeSpan.FromMinutes(1);

    private readonly List<string> _ready = [];
    private readonly Dictionary<string, DateTimeOffset> _taken = new(StringComparer.Ordinal);
    private readonly HashSet<string> _making = new(StringComparer.Ordinal);

    // Calls interleave with the refill, and two overlapping writes of one grain state conflict (an ETag mismatch in
    // Redis, a torn file on disk): each write waits for the one before it.
    private Task _lastWrite = Task.CompletedTask;
    private DateTimeOffset _activatedAt;
    private Task _refill = Task.CompletedTask;
    private string? _lastError;
    private WarmPoolInfo? _announced;

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
            throw new SandboxException(SandboxErrorCodes.ImageNotFound, $"image: {spec.Image} is on no healthy runner; a pool starts only from images its runners hold: create one sandbox from it first (that pulls it), then the pool");
        }

        await RequireRoomAsync(spec, spec.Size);
        if (!await Registry.TryAddAsync(Id, spec.Kind, cancellationToken))
        {
            throw new SandboxException(
                SandboxErrorCodes.WarmPoolConflict,
                $"a warm pool of {spec.Image} with {Resources(spec)} and {spec.Injection.Name()} injection exists already; change its size instead");
        }

        state.State = new WarmPoolRecord { Spec = spec, CreatedAt = time.GetUtcNow() };
        await WriteAsync();
        KeepReviewing();
        logger.LogInformation("Warm pool {PoolId} created: {Size} of {Image}", Id, spec.Size, spec.Image);
        Refill();
        await AnnounceAsync();
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
        await WriteAsync();

        // Spares go first from those still being made or not ready, then from the ready ones.
        var spares = state.State.Members.Count - size;
        foreach (var id in state.State.Members.Where(m => !_taken.ContainsKey(m)).OrderBy(m => _ready.Contains(m)).Take(Math.Max(0, spares)).ToList())
        {
            await RemoveAndDeleteAsync(id);
        }

        Refill();
        await AnnounceAsync();
        return Info();
    }

    public async Task DeleteAsync(CancellationToken cancellationToken)
    {
        var spec = Spec;
        var last = Info();
        state.State.Spec = null;

        // The refill stops at its next step; what it is making now is deleted with the rest once made.
        try
        {
            await _refill;
        }
        catch (Exception e)
        {
            logger.LogWarning("Warm pool {PoolId}: its last refill failed: {Reason}", Id, e.Message);
        }

        // Members handed to a create are left to it; one whose claim fails is deleted when it reports (the pool is gone).
        var left = 0;
        foreach (var id in state.State.Members.Where(m => !_taken.ContainsKey(m)).ToList())
        {
            if (!await RemoveAndDeleteAsync(id))
            {
                left++;
            }
        }

        if (left > 0)
        {
            // Kept, empty-sized, so nothing is lost track of: the caller retries the delete.
            state.State.Spec = spec with { Size = 0 };
            await WriteAsync();
            throw new SandboxException(SandboxErrorCodes.Failed, $"warm pool {Id}: {left} of its sandboxes could not be deleted now (their runner does not answer); delete the pool again");
        }

        await Registry.RemoveAsync(Id, CancellationToken.None);
        await state.ClearStateAsync(CancellationToken.None);
        state.State = new WarmPoolRecord();
        logger.LogInformation("Warm pool {PoolId} deleted", Id);
        await events.PublishAsync(new ClusterEvent(ClusterEventTypes.WarmPoolDeleted, time.GetUtcNow(), null) { Pool = last with { Ready = 0, Provisioning = 0 } });
        DeactivateOnIdle();
    }

    public Task<string?> TakeAsync(CancellationToken cancellationToken)
    {
        if (state.State.Spec is null || _ready.Count == 0)
        {
            Refill();
            return Task.FromResult<string?>(null);
        }

        var id = _ready[0];
        _ready.RemoveAt(0);
        _taken[id] = time.GetUtcNow();
        return Task.FromResult<string?>(id);
    }

    public async Task MemberClaimedAsync(string sandboxId)
    {
        _taken.Remove(sandboxId);
        _ready.Remove(sandboxId);
        if (state.State.Members.Remove(sandboxId))
        {
            await WriteAsync();
        }

        Refill();
        await AnnounceAsync();
    }

    public async Task MemberLostAsync(string sandboxId)
    {
        if (state.State.Members.Contains(sandboxId) || state.State.Spec is null)
        {
            // Ours, or of a pool deleted meanwhile (nobody else will ever delete it).
            logger.LogInformation("Warm pool {PoolId} removes sandbox {SandboxId}", Id, sandboxId);
            await RemoveAndDeleteAsync(sandboxId);
            Refill();
            await AnnounceAsync();
        }
    }

    public async Task MemberFoundAsync(string sandboxId)
    {
        if (state.State.Members.Contains(sandboxId))
        {
            await ReviewMemberAsync(sandboxId);
            return;
        }

        // Not a member the pool made and still counts: a spare, a member of a pool deleted while its silo was down, or a
        // sandbox already handed out whose claim file is gone. None may be handed out; none may linger.
        logger.LogInformation("Warm pool {PoolId} deletes sandbox {SandboxId}: not one of its members", Id, sandboxId);
        await DeleteMemberAsync(sandboxId);
    }

    public Task WakeAsync() => Task.CompletedTask;

    /// <summary>Reviews the members every <see cref="WarmPoolOptions.ReviewInterval"/>, interleaved with calls, keeping the pool active.</summary>
    private void KeepReviewing() => this.RegisterGrainTimer(
        _ => ReviewAsync(),
        new GrainTimerCreationOptions(Options.ReviewInterval, Options.ReviewInterval) { Interleave = true, KeepAlive = true });

    /// <summary>Looks at every member not being made, ready, or recently handed out, then refills.</summary>
    private async Task ReviewAsync()
    {
        if (state.State.Spec is null)
        {
            return;
        }

        // A create that took a member and never said how its claim went (it gave up, its silo died) loses it back.
        var now = time.GetUtcNow();
        foreach (var (id, _) in _taken.Where(t => now - t.Value > ClaimPatience).ToList())
        {
            _taken.Remove(id);
        }

        foreach (var id in state.State.Members.Where(m => !_making.Contains(m) && !_taken.ContainsKey(m) && !_ready.Contains(m)).ToList())
        {
            await ReviewMemberAsync(id);
        }

        Refill();
        await AnnounceAsync();
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
                await WriteAsync();
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
                if (state.State.Members.Contains(id) && !_ready.Contains(id) && !_taken.ContainsKey(id))
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
            await WriteAsync();
            var made = await Task.WhenAll(ids.Select(id => MakeMemberAsync(id, spec)));
            await AnnounceAsync();
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
                // The pool was deleted or shrunk, or the member reported lost, while it was made.
                await DeleteMemberAsync(id);
            }
            else if (info.State == SandboxState.Pooled && !_ready.Contains(id))
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
            if (!state.State.Members.Contains(id))
            {
                // Reported lost while it was made: whatever is left of it goes now.
                await DeleteMemberAsync(id);
            }
            else if (e is SandboxException && state.State.Members.Remove(id))
            {
                // A create that failed cleanly left nothing; one that did not finish is in error and is reviewed as lost.
                await WriteAsync();
            }

            return false;
        }
    }

    /// <summary>
    /// Takes a member out of the pool and deletes its sandbox. False when the delete failed: the member stays counted (and
    /// is reviewed again), so no sandbox is ever left without an owner.
    /// </summary>
    private async Task<bool> RemoveAndDeleteAsync(string id)
    {
        _ready.Remove(id);
        _taken.Remove(id);
        if (_making.Contains(id))
        {
            // Its maker deletes it once made, finding it no longer a member.
            state.State.Members.Remove(id);
            await WriteAsync();
            return true;
        }

        if (!await DeleteMemberAsync(id))
        {
            return false;
        }

        if (state.State.Members.Remove(id))
        {
            await WriteAsync();
        }

        return true;
    }

    private async Task<bool> DeleteMemberAsync(string id)
    {
        try
        {
            await GrainFactory.GetGrain<ISandboxGrain>(id).DeleteAsync(removeAdoptedContainer: false);
            return true;
        }
        catch (SandboxException e) when (e.Code == SandboxErrorCodes.NotFound)
        {
            return true;
        }
        catch (Exception e) when (e is SandboxException || SandboxErrorCodes.IsClusterChurn(e))
        {
            logger.LogWarning("Warm pool {PoolId} could not delete sandbox {SandboxId}: {Reason}", Id, id, e.Message);
            return false;
        }
    }

    private Task WriteAsync() => _lastWrite = WriteAfterAsync(_lastWrite);

    private async Task WriteAfterAsync(Task previous)
    {
        try
        {
            await previous;
        }
        catch (Exception)
        {
            // The earlier write's own caller has its failure; this write stores the state as it is now regardless.
        }

        await state.WriteStateAsync(CancellationToken.None);
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
