using SandboxGrains.Volumes;

namespace SandboxGrains.Docker.Sandboxes;

/// <summary>
/// Named volumes on this runner: Docker volumes labelled with the volume's name, made, found, listed and removed here,
/// and mounted into the sandboxes that ask for them.
/// </summary>
internal sealed partial class SandboxContainers
{
    public async Task<VolumeInfo> CreateVolumeAsync(string runnerId, string name, CancellationToken cancellationToken)
    {
        var created = await docker.CreateVolumeAsync(VolumeRules.DockerName(name), new Dictionary<string, string>
        {
            [ContainerLabels.Managed] = "true",
            [ContainerLabels.RunnerId] = runnerId,
            [VolumeRules.Label] = name,
        }, cancellationToken).ConfigureAwait(false);
        return new VolumeInfo(name, runnerId, created.Name, created.CreatedAt);
    }

    public async Task<IReadOnlyList<VolumeInfo>> ListVolumesAsync(string runnerId, CancellationToken cancellationToken)
    {
        var found = await docker.ListVolumesAsync(new Dictionary<string, string> { [ContainerLabels.Managed] = "true" }, cancellationToken).ConfigureAwait(false);
        return
        [
            .. found
                .Where(v => v.Labels.TryGetValue(VolumeRules.Label, out var name) && v.Name == VolumeRules.DockerName(name))
                .Select(v => new VolumeInfo(v.Labels[VolumeRules.Label], runnerId, v.Name, v.CreatedAt))
                .OrderBy(v => v.Name, StringComparer.Ordinal),
        ];
    }

    public async Task RemoveVolumeAsync(string name, CancellationToken cancellationToken)
    {
        try
        {
            await docker.RemoveVolumeAsync(VolumeRules.DockerName(name), cancellationToken).ConfigureAwait(false);
        }
        catch (VolumeInUseException e)
        {
            // The engine names containers; a person wants the sandboxes (or the containers that are not ours).
            var ours = (await docker.ListContainersAsync(new Dictionary<string, string> { [ContainerLabels.Managed] = "true" }, cancellationToken).ConfigureAwait(false))
                .ToDictionary(c => c.Id, c => SandboxLabels.SandboxIdOf(c.Labels), StringComparer.Ordinal);
            var users = e.Containers.Select(id => ours.GetValueOrDefault(id) is { } sandbox ? $"sandbox {sandbox}" : $"container {id[..12]}").ToList();
            throw new VolumeInUseException(name, users, e);
        }
    }

    /// <summary>
    /// The Docker volumes behind a sandbox's named volumes, each checked to exist here: Docker would otherwise make an
    /// empty one of that name, and the sandbox would start without its data.
    /// </summary>
    private async Task<IReadOnlyList<VolumeMount>> NamedVolumesAsync(IReadOnlyList<VolumeMount> volumes, CancellationToken cancellationToken)
    {
        var mounts = new List<VolumeMount>(volumes.Count);
        foreach (var volume in volumes)
        {
            var dockerName = VolumeRules.DockerName(volume.Name);
            _ = await docker.InspectVolumeAsync(dockerName, cancellationToken).ConfigureAwait(false) ?? throw new VolumeNotFoundException(volume.Name);
            mounts.Add(volume with { Name = dockerName });
        }

        return mounts;
    }
}
