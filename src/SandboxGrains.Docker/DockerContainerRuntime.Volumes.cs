using System.Net;
using System.Text.RegularExpressions;
using Docker.DotNet;
using Docker.DotNet.Models;

namespace SandboxGrains.Docker;

/// <summary>The volume side of the engine: named volumes made, found, listed and removed.</summary>
internal sealed partial class DockerContainerRuntime
{
    public async Task<VolumeSummary> CreateVolumeAsync(string name, IReadOnlyDictionary<string, string> labels, CancellationToken cancellationToken = default)
    {
        var created = await CallAsync(() => _client.Volumes.CreateAsync(
            new VolumesCreateParameters { Name = name, Driver = "local", Labels = new Dictionary<string, string>(labels) }, cancellationToken)).ConfigureAwait(false);
        return Summary(created);
    }

    public async Task<VolumeSummary?> InspectVolumeAsync(string name, CancellationToken cancellationToken = default)
    {
        try
        {
            return Summary(await CallAsync(() => _client.Volumes.InspectAsync(name, cancellationToken)).ConfigureAwait(false));
        }
        catch (DockerApiException e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    public async Task<IReadOnlyList<VolumeSummary>> ListVolumesAsync(IReadOnlyDictionary<string, string> labels, CancellationToken cancellationToken = default)
    {
        var found = await CallAsync(() => _client.Volumes.ListAsync(new VolumesListParameters { Filters = LabelFilter(labels) }, cancellationToken)).ConfigureAwait(false);
        return [.. (found.Volumes ?? []).Select(Summary)];
    }

    public async Task RemoveVolumeAsync(string name, CancellationToken cancellationToken = default)
    {
        try
        {
            await CallAsync(() => _client.Volumes.RemoveAsync(name, force: false, cancellationToken)).ConfigureAwait(false);
        }
        catch (DockerApiException e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            // Gone already: removal is idempotent.
        }
        catch (DockerApiException e) when (e.StatusCode == HttpStatusCode.Conflict)
        {
            // The engine names the containers that use it: "volume is in use - [id, id]".
            var containers = ContainerIds().Matches(e.ResponseBody ?? "").Select(m => m.Value).ToList();
            throw new VolumeInUseException(name, containers, e);
        }
    }

    private static VolumeSummary Summary(VolumeResponse volume) => new(
        volume.Name,
        volume.Labels is { } labels ? new Dictionary<string, string>(labels) : [],
        DateTimeOffset.TryParse(volume.CreatedAt, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.RoundtripKind, out var created) ? created : null);

    [GeneratedRegex("[0-9a-f]{64}")]
    private static partial Regex ContainerIds();
}
