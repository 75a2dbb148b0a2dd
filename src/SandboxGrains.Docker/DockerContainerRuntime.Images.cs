using System.Net;
using Docker.DotNet;
using Docker.DotNet.Models;

namespace SandboxGrains.Docker;

/// <summary>The image side of the engine: inspecting images, committing a container to one (archives), listing and removing them.</summary>
internal sealed partial class DockerContainerRuntime
{
    public async Task<ImageDetails?> InspectImageAsync(string image, CancellationToken cancellationToken = default)
    {
        try
        {
            var found = await CallAsync(() => _client.Images.InspectImageAsync(image, cancellationToken)).ConfigureAwait(false);
            var config = found.Config;
            return new ImageDetails(
                found.ID,
                [.. config?.Entrypoint ?? []],
                [.. config?.Cmd ?? []],
                NullIfEmpty(config?.WorkingDir),
                NullIfEmpty(config?.User),
                [.. config?.Env ?? []],
                config?.Labels is { } labels ? new Dictionary<string, string>(labels) : []);
        }
        catch (DockerApiException e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    public async Task<string> CommitContainerAsync(
        string container, string image, IReadOnlyDictionary<string, string> labels, CancellationToken cancellationToken = default)
    {
        // The commit's configuration is the container's, with what is given here over it; everything not given is kept.
        var details = await InspectContainerAsync(container, cancellationToken).ConfigureAwait(false) ?? throw new ContainerNotFoundException(container, null);
        var separator = image.LastIndexOf(':');
        var committed = await OnContainerAsync(container, () => _client.Images.CommitContainerChangesAsync(
            new CommitContainerChangesParameters
            {
                ContainerID = container,
                RepositoryName = image[..separator],
                Tag = image[(separator + 1)..],
                Pause = true,
                Labels = new Dictionary<string, string>(details.Labels.Concat(labels).GroupBy(l => l.Key).Select(g => g.Last())),
            },
            cancellationToken)).ConfigureAwait(false);
        return committed.ID;
    }

    public async Task RemoveImageAsync(string image, CancellationToken cancellationToken = default)
    {
        try
        {
            await CallAsync(() => _client.Images.DeleteImageAsync(image, new ImageDeleteParameters(), cancellationToken)).ConfigureAwait(false);
        }
        catch (DockerApiException e) when (e.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Conflict)
        {
            // Gone already, or a container still runs from it: it goes with that container's own removal.
        }
    }

    public async Task<IReadOnlyList<string>> ListImagesAsync(IReadOnlyDictionary<string, string> labels, CancellationToken cancellationToken = default)
    {
        var found = await CallAsync(() => _client.Images.ListImagesAsync(new ImagesListParameters { Filters = LabelFilter(labels) }, cancellationToken)).ConfigureAwait(false);
        return [.. found.SelectMany(i => i.RepoTags ?? []).Where(t => t != "<none>:<none>")];
    }
}
