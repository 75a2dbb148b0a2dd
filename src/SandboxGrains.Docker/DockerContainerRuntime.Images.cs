using System.Net;
using Docker.DotNet;
using System.Text.Json;
using Docker.DotNet.Models;
using SandboxGrains.Images;

namespace SandboxGrains.Docker;

/// <summary>The image side of the engine: inspecting and pulling images, committing a container to one (archives), listing and removing them.</summary>
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
                config?.Labels is { } labels ? new Dictionary<string, string>(labels) : [],
                found.Size);
        }
        catch (DockerApiException e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    public async Task<string> CommitContainerAsync(
        string container, string image, IReadOnlyDictionary<string, string> labels, CancellationToken cancellationToken = default) =>
        await CommitContainerAsync(container, image, labels, command: null, cancellationToken).ConfigureAwait(false);

    public async Task<string> CommitContainerAsync(
        string container, string image, IReadOnlyDictionary<string, string> labels, IReadOnlyList<string>? command, CancellationToken cancellationToken = default)
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

                // An empty entrypoint (not a missing one, which keeps the container's) with the command in its place.
                Entrypoint = command is null ? null! : [],
                Cmd = command is null ? null! : [.. command],
            },
            cancellationToken)).ConfigureAwait(false);
        return committed.ID;
    }

    public async Task TagImageAsync(string image, string newTag, CancellationToken cancellationToken = default)
    {
        if (!ImageReference.TryParse(newTag, out var reference, out var problem) || reference.Tag is null)
        {
            throw new ContainerRuntimeException($"cannot tag {image} as {newTag}: {problem ?? "a tag is needed"}");
        }

        try
        {
            await CallAsync(() => _client.Images.TagImageAsync(image, new ImageTagParameters { RepositoryName = reference.Name, Tag = reference.Tag }, cancellationToken)).ConfigureAwait(false);
        }
        catch (DockerApiException e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            throw new ImageNotFoundException(image, e);
        }
    }

    public async Task<bool> RemoveImageAsync(string image, CancellationToken cancellationToken = default)
    {
        try
        {
            await CallAsync(() => _client.Images.DeleteImageAsync(image, new ImageDeleteParameters(), cancellationToken)).ConfigureAwait(false);
            return true;
        }
        catch (DockerApiException e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return true; // Gone already.
        }
        catch (DockerApiException e) when (e.StatusCode == HttpStatusCode.Conflict)
        {
            return false; // A container still uses it.
        }
    }

    public async Task<IReadOnlyList<ImageSummary>> ListImagesAsync(IReadOnlyDictionary<string, string> labels, CancellationToken cancellationToken = default)
    {
        var found = await CallAsync(() => _client.Images.ListImagesAsync(
            new ImagesListParameters { Filters = labels.Count == 0 ? null : LabelFilter(labels) }, cancellationToken)).ConfigureAwait(false);
        return
        [
            .. found.Select(i => new ImageSummary(
                i.ID,
                [.. (i.RepoTags ?? []).Where(t => t != "<none>:<none>")],
                i.Size,
                i.Created,
                i.Labels is { } l ? new Dictionary<string, string>(l) : [])),
        ];
    }

    public async Task PullImageAsync(string image, RegistryAuth? auth, IProgress<PullProgress>? progress, CancellationToken cancellationToken = default)
    {
        if (!ImageReference.TryParse(image, out var reference, out var problem))
        {
            throw new RegistryException(image, RegistryFailure.Other, $"image {image}: {problem}");
        }

        var tracker = new PullProgressTracker(progress);
        try
        {
            await CallAsync(() => _client.Images.CreateImageAsync(
                new ImagesCreateParameters { FromImage = reference.Name, Tag = reference.TagOrDefault ?? reference.Digest },
                auth is null ? null : new AuthConfig { Username = auth.Username, Password = auth.Password, ServerAddress = auth.Registry },
                tracker,
                cancellationToken)).ConfigureAwait(false);
        }
        catch (DockerApiException e)
        {
            throw RegistryFailed(reference, auth, EngineMessage(e), e, pushing: false);
        }

        if (tracker.Error is { } error)
        {
            throw RegistryFailed(reference, auth, error, null, pushing: false);
        }
    }

    public async Task PushImageAsync(string image, RegistryAuth? auth, CancellationToken cancellationToken = default)
    {
        if (!ImageReference.TryParse(image, out var reference, out var problem) || reference.Tag is null)
        {
            throw new RegistryException(image, RegistryFailure.Other, $"image {image}: {problem ?? "a push needs a tag"}");
        }

        // The engine answers 200 at once and reports a refused push inside the stream; the tracker keeps that error.
        var tracker = new PullProgressTracker(null);
        try
        {
            await CallAsync(() => _client.Images.PushImageAsync(
                reference.Name,
                new ImagePushParameters { Tag = reference.Tag },
                auth is null ? new AuthConfig() : new AuthConfig { Username = auth.Username, Password = auth.Password, ServerAddress = auth.Registry },
                tracker,
                cancellationToken)).ConfigureAwait(false);
        }
        catch (DockerApiException e)
        {
            throw RegistryFailed(reference, auth, EngineMessage(e), e, pushing: true);
        }

        if (tracker.Error is { } error)
        {
            throw RegistryFailed(reference, auth, error, null, pushing: true);
        }
    }

    /// <summary>
    /// Names a failed pull or push in words a person can act on. The engine reports every registry problem as text (and
    /// mostly as a 500), so the kind is read from the phrases the distribution registry and Docker use.
    /// </summary>
    private static RegistryException RegistryFailed(ImageReference reference, RegistryAuth? auth, string detail, Exception? inner, bool pushing)
    {
        var image = reference.ToString();
        var registry = reference.RegistryHost;
        if (Mentions(detail, "unauthorized", "authentication required", "no basic auth credentials", "incorrect username or password", "denied: requested access"))
        {
            return new RegistryException(image, RegistryFailure.Unauthorized, auth is null
                ? $"registry {registry} needs credentials for {image} and none are configured for it (Registries:{registry})"
                : $"registry {registry} refused the credentials configured for it (user {auth.Username})", inner);
        }

        if (!pushing && Mentions(detail, "manifest unknown", "not found", "name unknown", "repository does not exist", "pull access denied"))
        {
            return new RegistryException(image, RegistryFailure.NotFound, $"image {image} not found in registry {registry}", inner);
        }

        if (Mentions(detail, "connection refused", "no such host", "dial tcp", "i/o timeout", "network is unreachable", "server gave HTTP response to HTTPS client", "TLS handshake"))
        {
            return new RegistryException(image, RegistryFailure.Unreachable, $"registry {registry} cannot be reached: {detail}", inner);
        }

        return new RegistryException(image, RegistryFailure.Other, $"{(pushing ? "pushing" : "pulling")} {image} {(pushing ? "to" : "from")} {registry} failed: {detail}", inner);
    }

    private static bool Mentions(string text, params string[] phrases) =>
        phrases.Any(p => text.Contains(p, StringComparison.OrdinalIgnoreCase));

    /// <summary>The engine's own message out of an error answer (<c>{"message": "…"}</c>), else the client's.</summary>
    private static string EngineMessage(DockerApiException e)
    {
        try
        {
            using var body = JsonDocument.Parse(e.ResponseBody ?? "");
            if (body.RootElement.ValueKind == JsonValueKind.Object && body.RootElement.TryGetProperty("message", out var message) && message.GetString() is { } text)
            {
                return text;
            }
        }
        catch (JsonException)
        {
        }

        return e.Message;
    }
}
