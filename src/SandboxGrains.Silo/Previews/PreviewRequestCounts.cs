using System.Collections.Concurrent;
using SandboxGrains.Previews;

namespace SandboxGrains.Silo.Previews;

/// <summary>
/// How many requests this silo forwarded through each preview link since it started, by link id: what seed 002's
/// <c>/api/preview/stats</c> reports as <c>requestsServed</c>. Per silo, kept in memory, and never a grain message per
/// request; seed 002's service is one silo in front of one target, where that is every request.
/// </summary>
internal sealed class PreviewRequestCounts
{
    /// <summary>Links counted at once before the counts start over, so links made and forgotten cannot grow this without end.</summary>
    private const int MaxLinks = 100_000;

    private readonly ConcurrentDictionary<string, long> _counts = new(StringComparer.Ordinal);

    /// <summary>One more request forwarded through the link whose token hashes to <paramref name="tokenHash"/>.</summary>
    public void Record(string tokenHash)
    {
        if (_counts.Count >= MaxLinks)
        {
            _counts.Clear();
        }

        _counts.AddOrUpdate(PreviewTokens.IdOf(tokenHash), 1, (_, count) => count + 1);
    }

    /// <summary>Requests this silo forwarded through the link <paramref name="linkId"/>.</summary>
    public long Of(string linkId) => _counts.GetValueOrDefault(linkId);
}
