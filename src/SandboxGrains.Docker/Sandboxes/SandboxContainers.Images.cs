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

    public Task RemoveImageAsync(string image, CancellationToken cancellationToken) => docker.RemoveImageAsync(image, cancellationToken);

    public async Task<long> CommitSnapshotAsync(string containerId, string image, string snapshotName, CancellationToken cancellationToken)
    {
        // The daemon secret lives in the container's own filesystem, which a commit copies layer by layer into an image
        // that may be pushed anywhere. Blanked for the commit and put back after: the daemon keeps the secret it has (an
        // empty file is never taken as one), and sandboxes made from the snapshot get their own.
        var secret = await docker.ReadFileAsync(containerId, DaemonInjectionOptions.TokenPath, cancellationToken).ConfigureAwait(false);
        if (secret is not null)
        {
            await docker.CopyToContainerAsync(containerId, "/", [new ArchiveFile(DaemonInjectionOptions.TokenPath.TrimStart('/'), ReadOnlyMemory<byte>.Empty)], cancellationToken).ConfigureAwait(false);
        }

        try
        {
            // The image is the snapshot's, not the sandbox's: the labels that tie a container to a sandbox and a runner are cleared.
            await docker.CommitContainerAsync(containerId, image, new Dictionary<string, string>
            {
                [ContainerLabels.Managed] = "",
                [ContainerLabels.SandboxId] = "",
                [ContainerLabels.RunnerId] = "",
                [ContainerLabels.PoolId] = "",
                [ContainerLabels.Snapshot] = snapshotName,
            }, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (secret is not null)
            {
                await docker.CopyToContainerAsync(containerId, "/", [new ArchiveFile(DaemonInjectionOptions.TokenPath.TrimStart('/'), secret)], CancellationToken.None).ConfigureAwait(false);
            }
        }

        return (await docker.InspectImageAsync(image, cancellationToken).ConfigureAwait(false))?.Size ?? 0;
    }
}
