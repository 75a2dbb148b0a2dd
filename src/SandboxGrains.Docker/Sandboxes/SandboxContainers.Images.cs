using SandboxGrains.Images;

namespace SandboxGrains.Docker.Sandboxes;

/// <summary>
/// Images on this runner: whether one is here, pulling one (with progress), committing a sandbox to one for a snapshot,
/// pushing it, and removing ours.
/// </summary>
internal sealed partial class SandboxContainers
{
    public async Task<bool> HasImageAsync(string image, CancellationToken cancellationToken) =>
        await docker.InspectImageAsync(image, cancellationToken).ConfigureAwait(false) is not null;

    public Task PullImageAsync(string image, CancellationToken cancellationToken) => transfers.PullAsync(image, cancellationToken);

    public Images.PullProgress? PullProgressOf(string image) => transfers.ProgressOf(image);

    public Task PushImageAsync(string image, CancellationToken cancellationToken) => transfers.PushAsync(image, cancellationToken);

    // A container still using the image keeps it (false from the engine, not an error); a sandbox made from a deleted
    // snapshot removes the snapshot's image when it is deleted itself (SandboxGrain).
    public Task RemoveImageAsync(string image, CancellationToken cancellationToken) => docker.RemoveImageAsync(image, cancellationToken);

    public async Task<IReadOnlyList<RunnerImage>> ListImagesAsync(CancellationToken cancellationToken)
    {
        var images = await docker.ListImagesAsync(new Dictionary<string, string>(), cancellationToken).ConfigureAwait(false);
        var users = await ImageUsersAsync(cancellationToken).ConfigureAwait(false);
        return
        [
            .. images.SelectMany(image => image.Tags.Select(tag => new RunnerImage(
                    tag,
                    image.Id,
                    image.Size,
                    new DateTimeOffset(DateTime.SpecifyKind(image.Created, DateTimeKind.Utc)),
                    LastUsedAt: null,
                    users.GetValueOrDefault(tag) ?? [],
                    OwnerOf(tag, image.Labels))))
                .OrderBy(i => i.Image, StringComparer.Ordinal),
        ];
    }

    public async Task DeleteImageAsync(string image, CancellationToken cancellationToken)
    {
        var found = (await ListImagesAsync(cancellationToken).ConfigureAwait(false)).FirstOrDefault(i => i.Image == image)
            ?? throw new ImageNotFoundException(image, null);
        if (found.Owner is { } owner)
        {
            throw new ImageInUseException(image, $"image {image} is {owner}; it goes when that is deleted");
        }

        if (found.UsedBy.Count > 0)
        {
            throw new ImageInUseException(image, $"image {image} is in use by sandbox {string.Join(", ", found.UsedBy)}; delete those first");
        }

        if (!await docker.RemoveImageAsync(image, cancellationToken).ConfigureAwait(false))
        {
            throw new ImageInUseException(image, $"image {image} is in use by a container that is not a sandbox");
        }
    }

    /// <summary>Image tag → the sandboxes whose containers (running or not) were made from it.</summary>
    private async Task<Dictionary<string, List<string>>> ImageUsersAsync(CancellationToken cancellationToken)
    {
        var users = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var container in await docker.ListContainersAsync(new Dictionary<string, string> { [ContainerLabels.Managed] = "true" }, cancellationToken).ConfigureAwait(false))
        {
            if (SandboxLabels.SandboxIdOf(container.Labels) is not { } sandboxId)
            {
                continue;
            }

            // A restored sandbox runs from its archive image; the image it was created from is in its labels.
            foreach (var tag in new[] { container.Image, SandboxLabels.Read(container.Labels).Image }.OfType<string>().Distinct())
            {
                (users.TryGetValue(tag, out var list) ? list : users[tag] = []).Add(sandboxId);
            }
        }

        return users;
    }

    /// <summary>What of ours an image belongs to (a sandbox's archive, a snapshot), in words; null for anyone's image.</summary>
    private static string? OwnerOf(string tag, IReadOnlyDictionary<string, string> labels) =>
        SandboxLabels.SandboxIdOfArchive(tag) is { } sandbox ? $"the archive of sandbox {sandbox}"
        : labels.GetValueOrDefault(ContainerLabels.Snapshot) is { Length: > 0 } snapshot ? $"snapshot {snapshot}'s image"
        : null;

    public async Task<long> CommitSnapshotAsync(string containerId, string image, string snapshotName, CancellationToken cancellationToken)
    {
        var details = await docker.InspectContainerAsync(containerId, cancellationToken).ConfigureAwait(false)
            ?? throw new ContainerNotFoundException(containerId, null);

        // In mount mode the container runs sandboxd from the bind-mounted bundle, with the image's own entrypoint and
        // command after "--". A snapshot is the sandbox's image, not its wrapper: that command becomes the image's, and any
        // sandbox made from it gets a daemon its own way.
        var command = details.Entrypoint is [var first, ..] && first == BundleDaemonPath ? details.Cmd : null;

        // The image is the snapshot's, not the sandbox's: the labels that tie a container to a sandbox and a runner are cleared.
        await CommitWithoutSecretAsync(containerId, image, new Dictionary<string, string>
        {
            [ContainerLabels.Managed] = "",
            [ContainerLabels.SandboxId] = "",
            [ContainerLabels.RunnerId] = "",
            [ContainerLabels.PoolId] = "",
            [ContainerLabels.Snapshot] = snapshotName,
        }, command, forAnotherSandbox: true, cancellationToken).ConfigureAwait(false);
        return (await docker.InspectImageAsync(image, cancellationToken).ConfigureAwait(false))?.Size ?? 0;
    }

    public async Task PublishImageAsync(string image, string remoteImage, CancellationToken cancellationToken)
    {
        await docker.TagImageAsync(image, remoteImage, cancellationToken).ConfigureAwait(false);
        await transfers.PushAsync(remoteImage, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Commits a container with its daemon secret blanked: the secret lives in the container's own filesystem, which a
    /// commit copies layer by layer into an image that may be pushed anywhere. It is put back right after, so the
    /// container serves (and starts) as before; the daemon keeps the secret it has meanwhile (an empty file is never
    /// taken as one), and whatever is made from the image gets a secret of its own. For a snapshot (<paramref name="command"/>
    /// given or not, <paramref name="forAnotherSandbox"/>) a warm-pool claim is blanked the same way: the claimer's
    /// environment is that caller's, not the image's; an archive keeps it, being the same sandbox.
    /// </summary>
    private async Task CommitWithoutSecretAsync(
        string containerId, string image, IReadOnlyDictionary<string, string> labels, IReadOnlyList<string>? command, bool forAnotherSandbox, CancellationToken cancellationToken)
    {
        var kept = new List<ArchiveFile>();
        foreach (var path in forAnotherSandbox ? [DaemonInjectionOptions.TokenPath, ClaimPath] : new[] { DaemonInjectionOptions.TokenPath })
        {
            if (await docker.ReadFileAsync(containerId, path, cancellationToken).ConfigureAwait(false) is { } content)
            {
                kept.Add(new ArchiveFile(path.TrimStart('/'), content));
            }
        }

        if (kept.Count > 0)
        {
            await docker.CopyToContainerAsync(containerId, "/", [.. kept.Select(f => f with { Content = ReadOnlyMemory<byte>.Empty })], cancellationToken).ConfigureAwait(false);
        }

        try
        {
            await docker.CommitContainerAsync(containerId, image, labels, command, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (kept.Count > 0)
            {
                await docker.CopyToContainerAsync(containerId, "/", kept, CancellationToken.None).ConfigureAwait(false);
            }
        }
    }
}
