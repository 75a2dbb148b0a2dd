using System.Collections.Concurrent;
using SandboxGrains.Previews;

namespace SandboxGrains.Silo.Forwarding;

/// <summary>
/// This silo's memory of where preview tokens and sandboxes lead, so a preview or toolbox request costs no grain call
/// in the common case. Grains that change a route tell every silo at once (<see cref="RouteInvalidationService"/>); entries
/// also age out after <see cref="RouteCacheOptions.Lifetime"/>, which bounds the harm of a notice that never arrived.
/// </summary>
internal sealed class RouteCache(TimeProvider time, IOptions<RouteCacheOptions> options)
{
    private readonly TimeSpan _lifetime = options.Value.Lifetime;

    // A flood of random tokens must not grow memory without bound; past this the cache starts over.
    private const int MaxEntries = 100_000;

    private readonly ConcurrentDictionary<string, Entry<PreviewGrant?>> _grants = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Entry<DaemonEndpoint>> _endpoints = new(StringComparer.Ordinal);

    // Bumped by every notice. A lookup that started before a notice must not store what it fetched: it may be the very
    // value the notice says is gone.
    private long _generation;

    /// <summary>
    /// The grant behind a token hash; null for a token that opens nothing. <paramref name="fetch"/> asks the grains on a
    /// miss (given the key, so callers pass one delegate made once rather than a closure per request).
    /// </summary>
    public ValueTask<PreviewGrant?> GetGrantAsync(
        string tokenHash, Func<string, CancellationToken, Task<PreviewGrant?>> fetch, CancellationToken cancellationToken = default) =>
        GetAsync(_grants, tokenHash, fetch, cancellationToken);

    /// <summary>Where a sandbox's daemon listens and in what state the sandbox is.</summary>
    public ValueTask<DaemonEndpoint> GetEndpointAsync(
        string sandboxId, Func<string, CancellationToken, Task<DaemonEndpoint>> fetch, CancellationToken cancellationToken = default) =>
        GetAsync(_endpoints, sandboxId, fetch, cancellationToken);

    /// <summary>A preview was revoked.</summary>
    public void ForgetGrant(string tokenHash)
    {
        Interlocked.Increment(ref _generation);
        _grants.TryRemove(tokenHash, out _);
    }

    /// <summary>A sandbox changed state, moved, or is gone.</summary>
    public void ForgetSandbox(string sandboxId)
    {
        Interlocked.Increment(ref _generation);
        _endpoints.TryRemove(sandboxId, out _);
    }

    private async ValueTask<T> GetAsync<T>(
        ConcurrentDictionary<string, Entry<T>> entries, string key, Func<string, CancellationToken, Task<T>> fetch, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (entries.TryGetValue(key, out var entry) && now - entry.FetchedAt < _lifetime)
        {
            return entry.Value;
        }

        var generation = Interlocked.Read(ref _generation);
        var value = await fetch(key, cancellationToken).ConfigureAwait(false);
        if (_lifetime > TimeSpan.Zero && Interlocked.Read(ref _generation) == generation)
        {
            if (entries.Count >= MaxEntries)
            {
                entries.Clear();
            }

            entries[key] = new Entry<T>(value, now);
        }

        return value;
    }

    private readonly record struct Entry<T>(T Value, DateTimeOffset FetchedAt);
}

/// <summary>How this silo caches routes (section <c>Routing</c>).</summary>
public sealed class RouteCacheOptions
{
    public const string SectionName = "Routing";

    /// <summary>
    /// How long a cached route is trusted without a change notice (default 30 s); zero turns the cache off, so every
    /// preview and toolbox request asks the grains (for measuring what the cache saves).
    /// </summary>
    public TimeSpan Lifetime { get; set; } = TimeSpan.FromSeconds(30);
}
