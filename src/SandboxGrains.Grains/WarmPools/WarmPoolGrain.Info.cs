namespace SandboxGrains.Grains.WarmPools;

/// <summary>The pool as callers and event subscribers see it: its spec and how many of its sandboxes are ready or being made.</summary>
internal sealed partial class WarmPoolGrain
{
    /// <summary>Tells event subscribers when the pool's size, readiness or last error changed since it last told them.</summary>
    private async Task AnnounceAsync()
    {
        if (state.State.Spec is null)
        {
            return;
        }

        var info = Info();
        if (_announced is { } last && last.Ready == info.Ready && last.Provisioning == info.Provisioning && last.Spec == info.Spec && last.LastError == info.LastError)
        {
            return;
        }

        _announced = info;
        await events.PublishAsync(new ClusterEvent(ClusterEventTypes.WarmPoolUpdated, time.GetUtcNow(), null, Reason: info.LastError) { Pool = info });
    }

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
}
