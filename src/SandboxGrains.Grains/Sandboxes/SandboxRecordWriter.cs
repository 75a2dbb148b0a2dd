namespace SandboxGrains.Grains.Sandboxes;

/// <summary>
/// Writes a sandbox's view to grain storage only when it changed. The health check confirms the same state every few
/// seconds and each silo reports activity every ten; neither may become a storage write each time.
/// </summary>
internal sealed class SandboxRecordWriter(IPersistentState<SandboxRecord> state, TimeProvider time)
{
    /// <summary>Activity is kept in memory on every report but written at most this often.</summary>
    internal static readonly TimeSpan ActivityWritePeriod = TimeSpan.FromMinutes(1);

    // The daemon address lives beside the info, so a changed address alone must still be written.
    private string? _writtenAddress;

    private DateTimeOffset? _writtenActivity;

    /// <summary>Starts from the record as storage holds it (on activation).</summary>
    public void Loaded()
    {
        _writtenAddress = state.State.DaemonAddress;
        _writtenActivity = state.State.Info?.LastActivityAt;
    }

    /// <summary>
    /// Makes <paramref name="info"/> the sandbox's view, beside the record's current daemon address, and writes it
    /// unless neither changed. <c>RouteChanged</c>: the state or the address changed, which front ends must hear of. A
    /// change of state is kept as the sandbox's last transition, with <paramref name="reason"/> (else its error).
    /// </summary>
    public async Task<(SandboxInfo Info, bool Written, bool RouteChanged)> WriteAsync(SandboxInfo info, string? reason = null)
    {
        var before = state.State.Info;
        if (before is not null && info with { UpdatedAt = before.UpdatedAt } == before && state.State.DaemonAddress == _writtenAddress)
        {
            return (before, false, false);
        }

        var routeChanged = before is null || before.State != info.State || state.State.DaemonAddress != _writtenAddress;
        var now = time.GetUtcNow();
        var written = info with { UpdatedAt = now };
        if (before is not null && before.State != info.State)
        {
            // A transition is kept from one settled state to the next (started → stopped), not through the state on the
            // way (stopping), which says nothing a reader needs.
            written = written with { StateSince = now };
            if (!info.State.IsOnTheWay())
            {
                var from = before.State.IsOnTheWay() ? before.LastTransition?.To ?? before.State : before.State;
                written = written with { LastTransition = new SandboxTransition(from, info.State, reason ?? info.ErrorReason, now) };
            }
        }

        state.State.Info = written;
        await state.WriteStateAsync();
        _writtenAddress = state.State.DaemonAddress;
        _writtenActivity = info.LastActivityAt;
        return (written, true, routeChanged);
    }

    /// <summary>
    /// Toolbox or preview traffic reached the sandbox at <paramref name="at"/>; written when the last write of it is old
    /// enough, or at once when <paramref name="writeNow"/> (an explicit keep-alive).
    /// </summary>
    public async Task RecordActivityAsync(DateTimeOffset at, bool writeNow = false)
    {
        if (state.State.Info is not { } info || info.LastActivityAt >= at)
        {
            return;
        }

        state.State.Info = info with { LastActivityAt = at };
        if (writeNow || _writtenActivity is null || at - _writtenActivity >= ActivityWritePeriod)
        {
            await state.WriteStateAsync();
            _writtenActivity = at;
        }
    }

}
