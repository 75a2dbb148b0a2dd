using System.Collections.Concurrent;

namespace SandboxGrains.Silo.Forwarding;

/// <summary>
/// Apps that listen only inside their sandbox (on 127.0.0.1, as many dev servers do by default): learned when a direct
/// connection to the container's address was refused and the daemon then reached the app. Remembered for
/// <see cref="Memory"/>, so the next requests go through the daemon at once instead of knocking first; then tried afresh,
/// in case the app now listens on every address. A port where nothing listens yet is not remembered: the app may be
/// starting, and should get the direct lane once it is up.
/// </summary>
internal sealed class InsideOnlyApps(TimeProvider time)
{
    public static readonly TimeSpan Memory = TimeSpan.FromSeconds(30);

    // A flood of distinct sandboxes and ports must not grow memory without bound; past this the memory starts over.
    private const int MaxEntries = 100_000;

    private readonly ConcurrentDictionary<(string SandboxId, int Port), DateTimeOffset> _learned = new();

    public bool Contains(string sandboxId, int port) =>
        _learned.TryGetValue((sandboxId, port), out var at) && time.GetUtcNow() - at < Memory;

    public void Learn(string sandboxId, int port)
    {
        if (_learned.Count >= MaxEntries)
        {
            _learned.Clear();
        }

        _learned[(sandboxId, port)] = time.GetUtcNow();
    }
}
