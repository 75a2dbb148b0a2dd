using Docker.DotNet.Models;
using SandboxGrains.Images;

namespace SandboxGrains.Docker;

/// <summary>
/// Turns the engine's pull messages (one per layer and step: "Pulling fs layer", "Downloading" with bytes, "Download
/// complete", "Pull complete", "Already exists") into one <see cref="PullProgress"/>, and keeps the first error a
/// message reports. Called synchronously by the client as messages arrive, so the order is the engine's.
/// </summary>
internal sealed class PullProgressTracker(IProgress<PullProgress>? report) : IProgress<JSONMessage>
{
    private readonly Dictionary<string, Layer> _layers = new(StringComparer.Ordinal);

    /// <summary>The first error the engine reported inside the stream (after it had answered 200).</summary>
    public string? Error { get; private set; }

    public void Report(JSONMessage value)
    {
        if (value.Error?.Message is { Length: > 0 } error)
        {
            Error ??= error;
            return;
        }

        // Messages about the image as a whole ("Pulling from x", "Digest: …", "Status: …") have no layer id, or the tag as it.
        if (string.IsNullOrEmpty(value.ID) || value.Status is null || value.Status.StartsWith("Pulling from", StringComparison.Ordinal))
        {
            return;
        }

        var layer = _layers.TryGetValue(value.ID, out var known) ? known : _layers[value.ID] = new Layer();
        switch (value.Status)
        {
            case "Downloading" when value.Progress is { } progress:
                layer.Total = Math.Max(layer.Total, progress.Total ?? 0);
                layer.Downloaded = Math.Min(progress.Current ?? 0, layer.Total);
                break;
            case "Download complete" or "Verifying Checksum":
                layer.Downloaded = layer.Total;
                break;
            case "Pull complete" or "Already exists":
                layer.Downloaded = layer.Total;
                layer.Done = true;
                break;
        }

        report?.Report(Current);
    }

    public PullProgress Current => new(
        _layers.Values.Count(l => l.Done),
        _layers.Count,
        _layers.Values.Sum(l => l.Downloaded),
        _layers.Values.Sum(l => l.Total));

    private sealed class Layer
    {
        public long Total { get; set; }

        public long Downloaded { get; set; }

        public bool Done { get; set; }
    }
}
