using System.Globalization;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SandboxGrains.Runners;
using SandboxGrains.Sandboxes;

namespace SandboxGrains.Docker.Sandboxes;

/// <summary><see cref="ISandboxContainers"/> over <see cref="IContainerRuntime"/>.</summary>
internal sealed partial class SandboxContainers(
    IContainerRuntime docker,
    DaemonBundle bundle,
    ImageTransfers transfers,
    IOptions<DaemonInjectionOptions> options,
    TimeProvider time,
    ILogger<SandboxContainers> logger) : ISandboxContainers, IDisposable
{
    private const string TokenFolder = "/run/sandboxgrains";

    private static readonly TimeSpan ProbeTimeout = DaemonVersionProbe.Timeout;

    // The daemon is on a local bridge: no proxy, no redirects, short connect timeout so a dead address fails fast.
    private readonly HttpClient _http = new(new SocketsHttpHandler
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        ConnectTimeout = TimeSpan.FromSeconds(1),
        PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
        ConnectCallback = ConnectFreedOnCloseAsync,
    });

    /// <summary>
    /// Connections whose close frees the socket at once (a reset after the FIN). The pool closes a connection to a daemon
    /// whose container is gone only when it next looks at it; a plain close would then retransmit its FIN into the
    /// removed container's address for minutes, keeping the host's neighbour entry for it unresolved when Docker gives the
    /// address to the next container (docs/daemon.md).
    /// </summary>
    private static async ValueTask<Stream> ConnectFreedOnCloseAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true, LingerState = new LingerOption(true, 0) };
        try
        {
            await socket.ConnectAsync(context.DnsEndPoint, cancellationToken).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private DaemonInjectionOptions Options => options.Value;

    public async Task<SandboxContainer> CreateAsync(string runnerId, SandboxContainerRequest request, CancellationToken cancellationToken)
    {
        var spec = request.Spec;
        var image = await docker.InspectImageAsync(spec.Image, cancellationToken).ConfigureAwait(false)
            ?? throw new ImageNotFoundException(spec.Image, null);
        var mountFolder = spec.Injection == InjectionMode.Mount ? bundle.RequireMountFolder() : null;
        var volumes = spec.Volumes.Count == 0 ? [] : await NamedVolumesAsync(spec.Volumes, cancellationToken).ConfigureAwait(false);
        await docker.EnsureIsolatedNetworkAsync(Options.Network, cancellationToken).ConfigureAwait(false);

        // A create interrupted by a crash may have left this sandbox's container behind; it must not survive as a twin.
        foreach (var leftover in await docker.ListContainersAsync(SandboxLabels.FilterBySandbox(request.SandboxId), cancellationToken).ConfigureAwait(false))
        {
            await docker.RemoveContainerAsync(leftover.Id, cancellationToken).ConfigureAwait(false);
        }

        var workDir = spec.WorkDir ?? image.WorkingDir ?? "/";
        var userCommand = spec.Cmd ?? image.Cmd;
        var container = new ContainerSpec
        {
            Image = spec.Image,
            Name = $"sandbox-{request.SandboxId}",
            Env = spec.Env,
            Labels = SandboxLabels.For(request, workDir).Write(request.SandboxId, runnerId),
            WorkingDir = spec.WorkDir,
            User = spec.User,
            CpuCores = spec.Cpu,
            MemoryMb = spec.MemoryMb,
            PidsLimit = spec.PidsLimit,
            Network = Options.Network,
            NamedVolumes = volumes,
        };
        // A daemon that is PID 1 and root gets its secret on stdin as the container starts, and keeps it in its file itself;
        // any other gets the file by a Docker archive upload, which costs about 60 ms and a process in the engine.
        var secretOnStdin = mountFolder is not null && RunsAsRoot(spec.User ?? image.User);
        if (mountFolder is not null)
        {
            // sandboxd is PID 1 and runs the image's own entrypoint + cmd as its child, so images whose command exits stay up.
            container = container with
            {
                Entrypoint = [.. DaemonCommand(BundleDaemonPath, workDir), .. secretOnStdin ? ["--token-stdin"] : Array.Empty<string>(), "--"],
                Cmd = [.. image.Entrypoint, .. userCommand],
                ReadOnlyMounts = new Dictionary<string, string> { [mountFolder] = DaemonInjectionOptions.BundleMountPath },
                OpenStdin = secretOnStdin,
            };
        }
        else if (spec.Cmd is not null)
        {
            container = container with { Cmd = spec.Cmd };
        }

        var id = await docker.CreateContainerAsync(container, cancellationToken).ConfigureAwait(false);
        try
        {
            if (secretOnStdin)
            {
                await docker.StartContainerAsync(id, Encoding.UTF8.GetBytes(request.DaemonToken + "\n"), cancellationToken).ConfigureAwait(false);
            }
            else
            {
                // Started before it has its files: an upload into a running container costs what one into a created
                // container does, and meanwhile a mount-mode daemon boots, refusing every request until the secret is in.
                await docker.StartContainerAsync(id, cancellationToken).ConfigureAwait(false);
                await docker.CopyToContainerAsync(id, "/", DaemonFiles(request.DaemonToken, withBundle: spec.Injection == InjectionMode.Copy), cancellationToken).ConfigureAwait(false);
            }

            return await ServeAsync(id, new DaemonLaunch(spec.Injection, workDir, request.DaemonToken), cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            // Nothing half-made survives a failed create.
            await docker.RemoveContainerAsync(id, CancellationToken.None).ConfigureAwait(false);
            throw;
        }
    }

    public async Task<SandboxContainer> StartAsync(string containerId, DaemonLaunch daemon, CancellationToken cancellationToken)
    {
        await docker.StartContainerAsync(containerId, cancellationToken).ConfigureAwait(false);
        return await ServeAsync(containerId, daemon, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>In a running container whose daemon files are in place: launches the daemon unless it is PID 1, and waits until it answers.</summary>
    private async Task<SandboxContainer> ServeAsync(string containerId, DaemonLaunch daemon, CancellationToken cancellationToken)
    {
        if (daemon.Mode != InjectionMode.Mount)
        {
            await LaunchDaemonAsync(containerId, daemon, cancellationToken).ConfigureAwait(false);
        }

        return await WaitForDaemonAsync(containerId, daemon.Token, cancellationToken).ConfigureAwait(false);
    }

    public Task StopAsync(string containerId, CancellationToken cancellationToken) =>
        docker.StopContainerAsync(containerId, Options.StopGracePeriod, cancellationToken);

    public Task RemoveAsync(string containerId, CancellationToken cancellationToken)
    {
        Remember(containerId, null);
        return docker.RemoveContainerAsync(containerId, cancellationToken);
    }

    /// <summary>Where each container's daemon last answered, keyed as callers name the container (its id; a name for adoptions), so health checks can skip Docker.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> _addresses = new(StringComparer.Ordinal);

    private void Remember(string containerId, string? address)
    {
        if (address is null)
        {
            _addresses.TryRemove(containerId, out _);
        }
        else
        {
            _addresses[containerId] = address;
        }
    }

    /// <summary>Where the container stands; when a secret is given and it runs, whether its daemon answers.</summary>
    private async Task<SandboxContainer> InspectAsync(string containerId, string? daemonToken, CancellationToken cancellationToken)
    {
        var details = await docker.InspectContainerAsync(containerId, cancellationToken).ConfigureAwait(false);
        if (details is null)
        {
            return new SandboxContainer(containerId, Exists: false, Running: false, "the container no longer exists", null, null);
        }

        var address = DaemonAddress(details);
        var version = details.Running && address is not null && daemonToken is not null
            ? await ProbeAsync(address, daemonToken, cancellationToken).ConfigureAwait(false)
            : null;
        Remember(containerId, version is null ? null : address);
        return new SandboxContainer(details.Id, true, details.Running, details.Running ? null : ExitReason(details), address, version);
    }

    public async Task<SandboxContainer> EnsureDaemonAsync(string containerId, DaemonLaunch daemon, CancellationToken cancellationToken)
    {
        // Every started sandbox is checked every few seconds. A daemon that answers with the sandbox's secret at its
        // last address proves the container runs, and costs no Docker call: hundreds of sandboxes each asking the
        // engine to inspect their container every few seconds kept a two-core host's Docker too busy to create more.
        if (_addresses.TryGetValue(containerId, out var known)
            && await ProbeAsync(known, daemon.Token, cancellationToken).ConfigureAwait(false) is { } answered)
        {
            return new SandboxContainer(containerId, true, true, null, known, answered);
        }

        var current = await InspectAsync(containerId, daemon.Token, cancellationToken).ConfigureAwait(false);
        if (current.IsServing || !current.Running || daemon.Mode == InjectionMode.Mount)
        {
            // A mount-mode daemon is PID 1: if it were gone the container would be too.
            return current;
        }

        LogDaemonRestart(logger, Log.Truncated(containerId));
        await LaunchDaemonAsync(containerId, daemon, cancellationToken).ConfigureAwait(false);
        return await WaitForDaemonAsync(containerId, daemon.Token, cancellationToken).ConfigureAwait(false);
    }

    public async Task<RecoveredContainer> ReadAsync(string container, CancellationToken cancellationToken)
    {
        var details = await docker.InspectContainerAsync(container, cancellationToken).ConfigureAwait(false)
            ?? throw new ContainerNotFoundException(container, null);
        var token = await docker.ReadFileAsync(details.Id, DaemonInjectionOptions.TokenPath, cancellationToken).ConfigureAwait(false) is { } bytes
            ? Encoding.UTF8.GetString(bytes).Trim()
            : null;
        var address = DaemonAddress(details);
        var version = details.Running && address is not null && token is not null
            ? await ProbeAsync(address, token, cancellationToken).ConfigureAwait(false)
            : null;
        var state = new SandboxContainer(details.Id, true, details.Running, details.Running ? null : ExitReason(details), address, version);
        var adoption = SandboxLabels.IsManaged(details.Labels)
            ? null
            : await ReadAdoptionAsync(details.Id, cancellationToken).ConfigureAwait(false);
        var claim = SandboxLabels.Read(details.Labels).PoolId is null
            ? null
            : await ReadClaimAsync(details.Id, cancellationToken).ConfigureAwait(false);
        return new RecoveredContainer(state, details.Image, details.Labels, details.Env, details.User, token, details.Name, details.WorkingDir, adoption, claim);
    }

    public async Task<IReadOnlyList<ManagedContainer>> ListAsync(string runnerId, CancellationToken cancellationToken)
    {
        var found = await docker.ListContainersAsync(SandboxLabels.FilterByRunner(runnerId), cancellationToken).ConfigureAwait(false);
        var adopted = await ListAdoptedAsync(runnerId, cancellationToken).ConfigureAwait(false);
        var containers = found
            .Select(c => (Container: c, SandboxId: SandboxLabels.SandboxIdOf(c.Labels)))
            .Where(c => c.SandboxId is not null)
            .Select(c => new ManagedContainer(c.SandboxId!, c.Container.Id, c.Container.State))
            .Concat(adopted)
            .ToList();

        // Archived sandboxes have only their image; a restored one has its container too, and that is what counts.
        var withContainers = containers.Select(c => c.SandboxId).ToHashSet(StringComparer.Ordinal);
        var archives = (await docker.ListImagesAsync(SandboxLabels.FilterByRunner(runnerId), cancellationToken).ConfigureAwait(false))
            .SelectMany(image => image.Tags)
            .Select(tag => (Tag: tag, SandboxId: SandboxLabels.SandboxIdOfArchive(tag)))
            .Where(a => a.SandboxId is not null && !withContainers.Contains(a.SandboxId))
            .Select(a => new ManagedContainer(a.SandboxId!, a.Tag, ManagedContainer.Archived));
        return [.. containers, .. archives];
    }

    public void Dispose() => _http.Dispose();

    /// <summary>Whether a container user (<c>name</c>, <c>uid</c>, <c>name:group</c>…; empty is the image's default, root) is root.</summary>
    private static bool RunsAsRoot(string? user) =>
        string.IsNullOrEmpty(user) || user.Split(':')[0] is "root" or "0";

    private static string BundleDaemonPath => DaemonInjectionOptions.BundleMountPath + "/sandboxd";

    private string[] DaemonCommand(string daemonPath, string workDir) =>
        [daemonPath, "--work-dir", workDir, "--port", Options.Port.ToString(CultureInfo.InvariantCulture), "--token-file", DaemonInjectionOptions.TokenPath];

    /// <summary>
    /// Starts the daemon with an exec that returns at once: <c>--background</c> makes sandboxd re-launch itself detached
    /// from the exec's streams and exit, so the exec's own exit code says whether the daemon could start at all.
    /// </summary>
    private async Task LaunchDaemonAsync(string containerId, DaemonLaunch daemon, CancellationToken cancellationToken)
    {
        var path = daemon.Mode == InjectionMode.None ? Options.ImageDaemonPath : BundleDaemonPath;
        var launched = await docker.ExecAsync(
            containerId, new ExecRequest([path, "--background", .. DaemonCommand(path, daemon.WorkDir)[1..]]), cancellationToken).ConfigureAwait(false);
        if (launched.ExitCode != 0)
        {
            var output = (launched.Stderr + launched.Stdout).Trim();
            throw new ContainerRuntimeException($"the daemon could not be started with {path} (exit code {launched.ExitCode}): {output}");
        }
    }

    /// <summary>
    /// The daemon's files, for one Docker archive upload into "/" (each upload costs about 60 ms here, whatever its
    /// size): the secret, in a file rather than the environment so it shows in neither <c>docker inspect</c> nor child
    /// processes; an adopted container's marker; in copy mode the bundle itself.
    /// </summary>
    private List<ArchiveFile> DaemonFiles(string token, bool withBundle, AdoptionMarker? adoption = null)
    {
        List<ArchiveFile> files = [new ArchiveFile(DaemonInjectionOptions.TokenPath.TrimStart('/'), Encoding.UTF8.GetBytes(token))];
        if (adoption is not null)
        {
            // Stored with the mode's name, not the enum's number, so the file means the same to any later version.
            var marker = new AdoptionMarkerFile(adoption.SandboxId, adoption.RunnerId, adoption.Injection.Name(), adoption.WorkDir, adoption.AdoptedAt);
            files.Add(new ArchiveFile(AdoptionPath.TrimStart('/'), JsonSerializer.SerializeToUtf8Bytes(marker, MarkerJson)));
        }

        if (withBundle)
        {
            var folder = DaemonInjectionOptions.BundleMountPath.TrimStart('/') + "/";
            files.AddRange(bundle.Files.Select(f => f with { RelativePath = folder + f.RelativePath }));
        }

        return files;
    }

    private async Task<SandboxContainer> WaitForDaemonAsync(string containerId, string token, CancellationToken cancellationToken)
    {
        var deadline = time.GetUtcNow() + Options.StartTimeout;
        var pause = TimeSpan.FromMilliseconds(10);
        string? address = null;
        for (var attempt = 0; ; attempt++)
        {
            if (address is null || attempt % 8 == 0)
            {
                var details = await docker.InspectContainerAsync(containerId, cancellationToken).ConfigureAwait(false)
                    ?? throw new ContainerNotFoundException(containerId, null);
                if (!details.Running)
                {
                    throw new ContainerRuntimeException($"the container stopped before its daemon answered: {ExitReason(details)}");
                }

                address = DaemonAddress(details)
                    ?? throw new ContainerRuntimeException($"container {details.Name} has no network address for its daemon");
            }

            if (await ProbeAsync(address, token, cancellationToken).ConfigureAwait(false) is { } version)
            {
                Remember(containerId, address);
                return new SandboxContainer(containerId, true, true, null, address, version);
            }

            if (time.GetUtcNow() > deadline)
            {
                throw new ContainerRuntimeException(
                    $"the daemon did not answer on {address} within {Options.StartTimeout.TotalSeconds:0} s");
            }

            await Task.Delay(pause, time, cancellationToken).ConfigureAwait(false);
            pause = TimeSpan.FromMilliseconds(Math.Min(pause.TotalMilliseconds * 1.5, 200));
        }
    }

    /// <summary>The daemon's version when it answers <c>/version</c> with our secret; null otherwise.</summary>
    private Task<string?> ProbeAsync(string address, string token, CancellationToken cancellationToken) =>
        DaemonVersionProbe.ReadAsync(_http, address, token, cancellationToken);

    private static HttpRequestMessage DaemonRequest(HttpMethod method, string address, string token, string pathAndQuery)
    {
        var request = new HttpRequestMessage(method, $"http://{address}{pathAndQuery}");
        request.Headers.Add(DaemonProtocol.SecretHeader, token);
        return request;
    }

    private string? DaemonAddress(ContainerDetails details) =>
        details.IpAddress is { Length: > 0 } ip ? $"{ip}:{Options.Port.ToString(CultureInfo.InvariantCulture)}" : null;

    private static string ExitReason(ContainerDetails details) => details.OomKilled
        ? $"killed for running out of memory (exit code {details.ExitCode})"
        : details.Error is { } error
            ? $"{details.Status} with exit code {details.ExitCode}: {error}"
            : $"{details.Status} with exit code {details.ExitCode}";

    [LoggerMessage(1, LogLevel.Information, "The daemon in {ContainerId} did not answer; starting it again")]
    private static partial void LogDaemonRestart(ILogger logger, string containerId);
}
