using System.Text.Json;
using SandboxGrains.Runners;
using SandboxGrains.Sandboxes;

namespace SandboxGrains.Docker.Sandboxes;

/// <summary>
/// Archives: a stopped sandbox's container committed to its archive image and removed; made again from it on restore;
/// the image read back for a grain that lost its state, and removed with the sandbox.
/// </summary>
internal sealed partial class SandboxContainers
{
    public async Task<string> ArchiveAsync(string runnerId, string containerId, SandboxContainerRequest request, CancellationToken cancellationToken)
    {
        // A commit keeps the container's own filesystem only, and removing the container removes its anonymous volumes
        // (an image's VOLUMEs): a sandbox with those would lose their data in an archive, so it is refused before anything
        // changes. Named volumes outlive the container and are mounted again on restore.
        var details = await docker.InspectContainerAsync(containerId, cancellationToken).ConfigureAwait(false)
            ?? throw new ContainerNotFoundException(containerId, null);
        var named = request.Spec.Volumes.Select(v => v.MountPath.TrimEnd('/')).ToHashSet(StringComparer.Ordinal);
        if (details.Volumes?.Where(path => !named.Contains(path.TrimEnd('/'))).ToList() is { Count: > 0 } volumes)
        {
            throw new ContainerRuntimeException(
                $"sandbox {request.SandboxId} cannot be archived: its data in {string.Join(", ", volumes)} is on Docker volumes, which an archive does not keep");
        }

        var image = SandboxLabels.ArchiveImage(request.SandboxId);
        var labels = SandboxLabels.For(request, request.Spec.WorkDir ?? "/").Write(request.SandboxId, runnerId);
        // Without the secret: the archive may be pushed to the snapshot registry, and a restore writes the secret anew.
        await CommitWithoutSecretAsync(containerId, image, labels, command: null, forAnotherSandbox: false, cancellationToken).ConfigureAwait(false);
        await RemoveAsync(containerId, cancellationToken).ConfigureAwait(false);
        return image;
    }

    public async Task<RecoveredContainer> ReadArchiveAsync(string archiveImage, CancellationToken cancellationToken)
    {
        var image = await docker.InspectImageAsync(archiveImage, cancellationToken).ConfigureAwait(false)
            ?? throw new ImageNotFoundException(archiveImage, null);
        var labels = image.Labels ?? new Dictionary<string, string>();
        return new RecoveredContainer(
            new SandboxContainer(archiveImage, Exists: false, Running: false, "archived", null, null),
            SandboxLabels.Read(labels).Image ?? archiveImage,
            labels,
            image.Env,
            image.User,
            DaemonToken: null,
            Name: $"sandbox-{SandboxLabels.SandboxIdOfArchive(archiveImage)}",
            image.WorkingDir,
            Adoption: null);
    }

    public async Task<SandboxContainer> RestoreAsync(string runnerId, SandboxContainerRequest request, string archiveImage, CancellationToken cancellationToken)
    {
        var spec = request.Spec;
        _ = await docker.InspectImageAsync(archiveImage, cancellationToken).ConfigureAwait(false)
            ?? throw new ImageNotFoundException(archiveImage, null);
        var mountFolder = spec.Injection == InjectionMode.Mount ? bundle.RequireMountFolder() : null;
        var volumes = spec.Volumes.Count == 0 ? [] : await NamedVolumesAsync(spec.Volumes, cancellationToken).ConfigureAwait(false);
        await docker.EnsureIsolatedNetworkAsync(Options.Network, cancellationToken).ConfigureAwait(false);
        foreach (var leftover in await docker.ListContainersAsync(SandboxLabels.FilterBySandbox(request.SandboxId), cancellationToken).ConfigureAwait(false))
        {
            await docker.RemoveContainerAsync(leftover.Id, cancellationToken).ConfigureAwait(false);
        }

        // The archive image holds the container's own configuration (entrypoint and command, environment, user, work
        // directory) and its files, the daemon secret and any claim among them; only what Docker keeps outside an image
        // is given again: labels, limits, network and, in mount mode, the daemon bundle.
        var workDir = spec.WorkDir ?? "/";
        var id = await docker.CreateContainerAsync(new ContainerSpec
        {
            Image = archiveImage,
            Name = $"sandbox-{request.SandboxId}",
            Labels = SandboxLabels.For(request, workDir).Write(request.SandboxId, runnerId),
            CpuCores = spec.Cpu,
            MemoryMb = spec.MemoryMb,
            PidsLimit = spec.PidsLimit,
            Network = Options.Network,
            NamedVolumes = volumes,
            ReadOnlyMounts = mountFolder is null ? new Dictionary<string, string>() : new Dictionary<string, string> { [mountFolder] = DaemonInjectionOptions.BundleMountPath },
        }, cancellationToken).ConfigureAwait(false);
        try
        {
            // The secret in the archive is the one the sandbox had; a grain rebuilt after a restart made a new one, and the
            // daemon takes it up from its file (as in a create, the upload goes into the running container).
            await docker.StartContainerAsync(id, cancellationToken).ConfigureAwait(false);
            await docker.CopyToContainerAsync(id, "/", DaemonFiles(request.DaemonToken, withBundle: false), cancellationToken).ConfigureAwait(false);
            return await ServeAsync(id, new DaemonLaunch(spec.Injection, workDir, request.DaemonToken), cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            // The archive stays; only the half-made container goes.
            await docker.RemoveContainerAsync(id, CancellationToken.None).ConfigureAwait(false);
            throw;
        }
    }
}
