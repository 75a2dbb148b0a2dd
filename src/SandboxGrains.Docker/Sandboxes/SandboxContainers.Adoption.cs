using System.Text.Json;
using SandboxGrains.Runners;
using SandboxGrains.Sandboxes;

namespace SandboxGrains.Docker.Sandboxes;

/// <summary>
/// Adoption: a container made outside the cluster gets the daemon and a marker (it carries none of our labels, so the
/// marker is how a runner finds it again after a restart), and gives the daemon back on release.
/// </summary>
internal sealed partial class SandboxContainers
{
    private const string AdoptionPath = TokenFolder + "/adopted.json";

    private static readonly JsonSerializerOptions MarkerJson = new(JsonSerializerDefaults.Web);

    private sealed record AdoptionMarkerFile(string? SandboxId, string? RunnerId, string? Injection, string? WorkDir, DateTimeOffset AdoptedAt);

    public async Task<SandboxContainer> AdoptAsync(string containerId, AdoptionMarker adoption, string daemonToken, CancellationToken cancellationToken)
    {
        var details = await docker.InspectContainerAsync(containerId, cancellationToken).ConfigureAwait(false)
            ?? throw new ContainerNotFoundException(containerId, null);
        if (!details.Running)
        {
            throw new ContainerRuntimeException($"container {details.Name} is not running: only a running container can be adopted");
        }

        var daemon = new DaemonLaunch(adoption.Injection, adoption.WorkDir, daemonToken);
        await docker.CopyToContainerAsync(details.Id, "/", DaemonFiles(daemon.Token, withBundle: daemon.Mode == InjectionMode.Copy, adoption), cancellationToken).ConfigureAwait(false);
        await LaunchDaemonAsync(details.Id, daemon, cancellationToken).ConfigureAwait(false);
        return await WaitForDaemonAsync(details.Id, daemon.Token, cancellationToken).ConfigureAwait(false);
    }

    public async Task ReleaseAsync(string containerId, DaemonLaunch daemon, CancellationToken cancellationToken)
    {
        var current = await InspectAsync(containerId, daemon.Token, cancellationToken).ConfigureAwait(false);
        if (!current.IsServing)
        {
            return;
        }

        // The daemon removes its own files (a running binary may be unlinked on Linux), then exits.
        var paths = daemon.Mode == InjectionMode.Copy ? new[] { DaemonInjectionOptions.BundleMountPath, TokenFolder } : [TokenFolder];
        foreach (var path in paths)
        {
            using var delete = DaemonRequest(HttpMethod.Delete, current.DaemonAddress!, daemon.Token, $"/files?path={Uri.EscapeDataString(path)}&recursive=true");
            using var deleted = await _http.SendAsync(delete, cancellationToken).ConfigureAwait(false);
        }

        using var shutdown = DaemonRequest(HttpMethod.Post, current.DaemonAddress!, daemon.Token, DaemonProtocol.ShutdownPath);
        using var answer = await _http.SendAsync(shutdown, cancellationToken).ConfigureAwait(false);
        if (!answer.IsSuccessStatusCode)
        {
            throw new ContainerRuntimeException($"the daemon in {Log.Truncated(containerId)} refused to shut down: {(int)answer.StatusCode}");
        }
    }

    /// <summary>
    /// Adopted containers carry no labels, so every unlabelled container is asked for the marker that adoption left; a
    /// container that has none (or whose marker names another runner) is not ours.
    /// </summary>
    private async Task<IReadOnlyList<ManagedContainer>> ListAdoptedAsync(string runnerId, CancellationToken cancellationToken)
    {
        var unlabelled = (await docker.ListContainersAsync(new Dictionary<string, string>(), cancellationToken).ConfigureAwait(false))
            .Where(c => !SandboxLabels.IsManaged(c.Labels));
        var adopted = new List<ManagedContainer>();
        foreach (var container in unlabelled)
        {
            try
            {
                if (await ReadAdoptionAsync(container.Id, cancellationToken).ConfigureAwait(false) is { } marker && marker.RunnerId == runnerId)
                {
                    adopted.Add(new ManagedContainer(marker.SandboxId, container.Id, container.State));
                }
            }
            catch (ContainerNotFoundException)
            {
                // Removed while we looked.
            }
        }

        return adopted;
    }

    private async Task<AdoptionMarker?> ReadAdoptionAsync(string containerId, CancellationToken cancellationToken)
    {
        if (await docker.ReadFileAsync(containerId, AdoptionPath, cancellationToken).ConfigureAwait(false) is not { } bytes)
        {
            return null;
        }

        try
        {
            var marker = JsonSerializer.Deserialize<AdoptionMarkerFile>(bytes, MarkerJson);
            return marker is { SandboxId: { } id, RunnerId: { } runner, WorkDir: { } workDir }
                   && SandboxIds.IsValid(id)
                   && InjectionModes.TryParse(marker.Injection, InjectionMode.Copy, out var injection)
                ? new AdoptionMarker(id, runner, injection, workDir, marker.AdoptedAt)
                : null;
        }
        catch (JsonException)
        {
            // Someone else's file at our path, or a damaged one: not a marker we can trust.
            return null;
        }
    }
}
