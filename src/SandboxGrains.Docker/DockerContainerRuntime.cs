using System.Diagnostics;
using System.Formats.Tar;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Docker.DotNet;
using Docker.DotNet.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SandboxGrains.Telemetry;

namespace SandboxGrains.Docker;

/// <summary><see cref="IContainerRuntime"/> over one Docker engine, through Docker.DotNet.Enhanced.</summary>
internal sealed partial class DockerContainerRuntime : IContainerRuntime, IDisposable
{
    private readonly DockerClient _client;
    private readonly ILogger<DockerContainerRuntime> _logger;

    public DockerContainerRuntime(IOptions<DockerOptions> options, ILogger<DockerContainerRuntime> logger)
    {
        Endpoint = options.Value.ResolveEndpoint();
        _logger = logger;
        _client = new DockerClientBuilder()
            .WithEndpoint(new Uri(Endpoint))
            .WithTimeout(options.Value.RequestTimeout)
            .Build();
    }

    public string Endpoint { get; }

    public async Task PingAsync(CancellationToken cancellationToken = default)
    {
        await CallAsync(() => _client.System.PingAsync(cancellationToken)).ConfigureAwait(false);
    }

    public async Task<EngineInfo> GetEngineInfoAsync(CancellationToken cancellationToken = default)
    {
        var info = await CallAsync(() => _client.System.GetSystemInfoAsync(cancellationToken)).ConfigureAwait(false);
        var version = await CallAsync(() => _client.System.GetVersionAsync(cancellationToken)).ConfigureAwait(false);
        return new EngineInfo(Endpoint, version.Version, version.APIVersion, (int)info.NCPU, info.MemTotal);
    }

    public async Task EnsureIsolatedNetworkAsync(string name, CancellationToken cancellationToken = default)
    {
        var existing = await CallAsync(() => _client.Networks.ListNetworksAsync(
            new NetworksListParameters { Filters = Filter("name", name) }, cancellationToken)).ConfigureAwait(false);
        if (existing.Any(n => n.Name == name))
        {
            return;
        }

        try
        {
            await CallAsync(() => _client.Networks.CreateNetworkAsync(new NetworksCreateParameters
            {
                Name = name,
                Driver = "bridge",
                Options = new Dictionary<string, string> { ["com.docker.network.bridge.enable_icc"] = "false" },
                Labels = new Dictionary<string, string> { [ContainerLabels.Managed] = "true" },
            }, cancellationToken)).ConfigureAwait(false);
            _logger.NetworkCreated(name);
        }
        catch (DockerApiException e) when (e.StatusCode == HttpStatusCode.Conflict)
        {
            // Another silo on the same engine created it first.
        }
    }

    public async Task<string> CreateContainerAsync(ContainerSpec spec, CancellationToken cancellationToken = default)
    {
        var parameters = new CreateContainerParameters
        {
            Name = spec.Name!,
            Image = spec.Image,
            Entrypoint = spec.Entrypoint?.ToList()!,
            Cmd = spec.Cmd?.ToList()!,
            Env = [.. spec.Env.Select(kv => $"{kv.Key}={kv.Value}")],
            Labels = new Dictionary<string, string>(spec.Labels),
            WorkingDir = spec.WorkingDir!,
            User = spec.User!,
            OpenStdin = spec.OpenStdin,
            StdinOnce = spec.OpenStdin,
            AttachStdin = spec.OpenStdin,
            HostConfig = new HostConfig
            {
                Privileged = false,
                SecurityOpt = ["no-new-privileges"],
                NanoCPUs = (long)Math.Round(spec.CpuCores * 1_000_000_000),
                Memory = spec.MemoryMb * 1024 * 1024,
                // Equal to the memory limit: no swap on top, so the limit is what the sandbox really gets.
                MemorySwap = spec.MemoryMb * 1024 * 1024,
                PidsLimit = spec.PidsLimit,
                Binds = [.. spec.ReadOnlyMounts.Select(m => $"{m.Key}:{m.Value}:ro")],
                Mounts = [.. spec.NamedVolumes.Select(v => new Mount { Type = "volume", Source = v.Name, Target = v.MountPath, ReadOnly = v.ReadOnly })],
                NetworkMode = spec.Network!,
                Init = false,
            },
        };

        try
        {
            var created = await CallAsync(() => _client.Containers.CreateContainerAsync(parameters, cancellationToken)).ConfigureAwait(false);
            _logger.ContainerCreated(Log.Truncated(created.ID), spec.Image);
            return created.ID;
        }
        catch (DockerApiException e) when (e.StatusCode == HttpStatusCode.NotFound && (e.ResponseBody ?? "").Contains("image", StringComparison.OrdinalIgnoreCase))
        {
            throw new ImageNotFoundException(spec.Image, e);
        }
    }

    public async Task StartContainerAsync(string container, CancellationToken cancellationToken = default)
    {
        await OnContainerAsync(container, () => _client.Containers.StartContainerAsync(
            container, new ContainerStartParameters(), cancellationToken)).ConfigureAwait(false);
    }

    public async Task StartContainerAsync(string container, ReadOnlyMemory<byte> input, CancellationToken cancellationToken = default)
    {
        await OnContainerAsync(container, async () =>
        {
            // Attached before the start, so nothing written can miss the process; closing it ends the process's stdin.
            using var stdin = await _client.Containers.AttachContainerAsync(
                container, new ContainerAttachParameters { Stream = true, Stdin = true }, cancellationToken).ConfigureAwait(false);
            await _client.Containers.StartContainerAsync(container, new ContainerStartParameters(), cancellationToken).ConfigureAwait(false);
            var bytes = input.ToArray();
            await stdin.WriteAsync(bytes, 0, bytes.Length, cancellationToken).ConfigureAwait(false);
            stdin.CloseWrite();
        }).ConfigureAwait(false);
    }

    public async Task StopContainerAsync(string container, TimeSpan gracePeriod, CancellationToken cancellationToken = default)
    {
        await OnContainerAsync(container, () => _client.Containers.StopContainerAsync(
            container,
            new ContainerStopParameters { WaitBeforeKillSeconds = (uint)Math.Max(0, Math.Ceiling(gracePeriod.TotalSeconds)) },
            cancellationToken)).ConfigureAwait(false);
    }

    public async Task RemoveContainerAsync(string container, CancellationToken cancellationToken = default)
    {
        try
        {
            await CallAsync(() => _client.Containers.RemoveContainerAsync(
                container, new ContainerRemoveParameters { Force = true, RemoveVolumes = true }, cancellationToken)).ConfigureAwait(false);
            _logger.ContainerRemoved(Log.Truncated(container));
        }
        catch (DockerApiException e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            // Already gone: removal is idempotent.
        }
        catch (DockerApiException e) when (e.StatusCode == HttpStatusCode.Conflict && (e.ResponseBody ?? "").Contains("already in progress", StringComparison.Ordinal))
        {
            // Someone else is removing it right now; the outcome is the same.
        }
    }

    public async Task<ContainerDetails?> InspectContainerAsync(string container, CancellationToken cancellationToken = default)
    {
        ContainerInspectResponse found;
        try
        {
            found = await CallAsync(() => _client.Containers.InspectContainerAsync(container, cancellationToken)).ConfigureAwait(false);
        }
        catch (DockerApiException e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        var ip = found.NetworkSettings?.Networks?.Values.Select(n => n.IPAddress).FirstOrDefault(a => !string.IsNullOrEmpty(a));
        return new ContainerDetails(
            found.ID,
            found.Name.TrimStart('/'),
            found.Config?.Image ?? "",
            found.State?.Running ?? false,
            found.State?.Status ?? "unknown",
            found.State?.ExitCode ?? 0,
            found.State?.OOMKilled ?? false,
            NullIfEmpty(found.State?.Error),
            ip,
            found.Config?.Labels is { } labels ? new Dictionary<string, string>(labels) : [],
            [.. found.Config?.Entrypoint ?? []],
            [.. found.Config?.Cmd ?? []],
            [.. found.Config?.Env ?? []],
            NullIfEmpty(found.Config?.User),
            NullIfEmpty(found.Config?.WorkingDir),
            [.. (found.Mounts ?? []).Where(m => m.Type == "volume").Select(m => m.Destination)]);
    }

    public async Task<IReadOnlyList<ContainerSummary>> ListContainersAsync(
        IReadOnlyDictionary<string, string> labels, CancellationToken cancellationToken = default)
    {
        var found = await CallAsync(() => _client.Containers.ListContainersAsync(
            new ContainersListParameters { All = true, Filters = LabelFilter(labels) }, cancellationToken)).ConfigureAwait(false);
        return [.. found.Select(c => new ContainerSummary(
            c.ID,
            c.Names?.FirstOrDefault()?.TrimStart('/') ?? "",
            c.Image,
            c.State,
            c.Labels is { } l ? new Dictionary<string, string>(l) : []))];
    }

    public async Task<ExecResult> ExecAsync(string container, ExecRequest request, CancellationToken cancellationToken = default)
    {
        var created = await OnContainerAsync(container, () => _client.Exec.CreateContainerExecAsync(container, new ContainerExecCreateParameters
        {
            Cmd = [.. request.Command],
            Env = [.. request.Env.Select(kv => $"{kv.Key}={kv.Value}")],
            WorkingDir = request.WorkingDir!,
            User = request.User!,
            AttachStdout = true,
            AttachStderr = true,
        }, cancellationToken)).ConfigureAwait(false);

        string stdout, stderr;
        using (var stream = await CallAsync(() => _client.Exec.StartContainerExecAsync(
                   created.ID, new ContainerExecStartParameters { Detach = false, TTY = false }, cancellationToken)).ConfigureAwait(false))
        {
            (stdout, stderr) = await stream.ReadOutputToEndAsync(cancellationToken).ConfigureAwait(false);
        }

        var inspected = await CallAsync(() => _client.Exec.InspectContainerExecAsync(created.ID, cancellationToken)).ConfigureAwait(false);
        var exitCode = inspected.ExitCode ?? -1;
        _logger.ExecFinished(Log.Truncated(container), exitCode);
        return new ExecResult(exitCode, stdout, stderr);
    }

    public async Task CopyToContainerAsync(
        string container, string targetFolder, IEnumerable<ArchiveFile> files, CancellationToken cancellationToken = default)
    {
        using var tar = new MemoryStream();
        await using (var writer = new TarWriter(tar, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var folder in ParentFolders(files.Select(f => f.RelativePath)))
            {
                await writer.WriteEntryAsync(new PaxTarEntry(TarEntryType.Directory, folder + "/")
                {
                    Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                        | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute,
                }, cancellationToken).ConfigureAwait(false);
            }

            foreach (var file in files)
            {
                var entry = new PaxTarEntry(TarEntryType.RegularFile, file.RelativePath.TrimStart('/'))
                {
                    Mode = file.Mode,
                    DataStream = new MemoryStream(file.Content.ToArray(), writable: false),
                };
                await writer.WriteEntryAsync(entry, cancellationToken).ConfigureAwait(false);
            }
        }

        // Docker extracts into an existing folder only; make sure it exists first (mkdir -p needs no shell tricks).
        if (targetFolder != "/")
        {
            await CopyFolderSkeletonAsync(container, targetFolder, cancellationToken).ConfigureAwait(false);
        }

        tar.Position = 0;
        await OnContainerAsync(container, () => _client.Containers.ExtractArchiveToContainerAsync(
            container, new CopyToContainerParameters { Path = targetFolder }, tar, cancellationToken)).ConfigureAwait(false);
    }

    public async Task<byte[]?> ReadFileAsync(string container, string path, CancellationToken cancellationToken = default)
    {
        ContainerArchiveResponse archive;
        try
        {
            archive = await OnContainerAsync(container, () => _client.Containers.GetArchiveFromContainerAsync(
                container, new ContainerPathStatParameters { Path = path }, statOnly: false, cancellationToken)).ConfigureAwait(false);
        }
        catch (ContainerNotFoundException)
        {
            // Docker answers 404 both for a missing container and a missing path; only the first is an error.
            if (await InspectContainerAsync(container, cancellationToken).ConfigureAwait(false) is null)
            {
                throw;
            }

            return null;
        }

        await using var stream = archive.Stream ?? Stream.Null;
        await using var reader = new TarReader(stream);
        while (await reader.GetNextEntryAsync(copyData: false, cancellationToken).ConfigureAwait(false) is { } entry)
        {
            if (entry.EntryType is TarEntryType.RegularFile or TarEntryType.V7RegularFile && entry.DataStream is { } data)
            {
                using var content = new MemoryStream();
                await data.CopyToAsync(content, cancellationToken).ConfigureAwait(false);
                return content.ToArray();
            }
        }

        return null;
    }

    public async IAsyncEnumerable<ContainerEvent> WatchEventsAsync(
        IReadOnlyDictionary<string, string> labels, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var events = Channel.CreateUnbounded<ContainerEvent>(new UnboundedChannelOptions { SingleReader = true });
        var filters = new Dictionary<string, IDictionary<string, bool>>
        {
            ["type"] = new Dictionary<string, bool> { ["container"] = true },
            ["label"] = labels.ToDictionary(kv => $"{kv.Key}={kv.Value}", _ => true),
        };
        var progress = new EventSink(message =>
        {
            if (message.Actor?.ID is { Length: > 0 } id && message.Action is { Length: > 0 } action)
            {
                var attributes = message.Actor.Attributes is { } a ? new Dictionary<string, string>(a) : [];
                events.Writer.TryWrite(new ContainerEvent(id, action, attributes));
            }
        });

        // The monitor call only returns when the stream ends; it completes the channel either way.
        var monitor = Task.Run(async () =>
        {
            try
            {
                await CallAsync(() => _client.System.MonitorEventsAsync(
                    new ContainerEventsParameters { Filters = filters }, progress, cancellationToken)).ConfigureAwait(false);
                events.Writer.TryComplete(new DockerUnavailableException($"the event stream from Docker at {Endpoint} ended", null));
            }
            catch (Exception e)
            {
                events.Writer.TryComplete(e);
            }
        }, CancellationToken.None);

        await foreach (var evt in events.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return evt;
        }

        await monitor.ConfigureAwait(false);
    }

    public void Dispose() => _client.Dispose();

    /// <summary>Delivers each event synchronously, unlike <see cref="Progress{T}"/>, which posts to a context.</summary>
    private sealed class EventSink(Action<Message> onEvent) : IProgress<Message>
    {
        public void Report(Message value) => onEvent(value);
    }

    /// <summary>Creates <paramref name="folder"/> and its parents by extracting an archive of empty folders at /.</summary>
    private async Task CopyFolderSkeletonAsync(string container, string folder, CancellationToken cancellationToken)
    {
        using var tar = new MemoryStream();
        await using (var writer = new TarWriter(tar, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var part in ParentFolders([folder.Trim('/') + "/x"]))
            {
                await writer.WriteEntryAsync(new PaxTarEntry(TarEntryType.Directory, part + "/")
                {
                    Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                        | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute,
                }, cancellationToken).ConfigureAwait(false);
            }
        }

        tar.Position = 0;
        await OnContainerAsync(container, () => _client.Containers.ExtractArchiveToContainerAsync(
            container, new CopyToContainerParameters { Path = "/" }, tar, cancellationToken)).ConfigureAwait(false);
    }

    /// <summary>Every folder that must exist for the given relative paths, parents first.</summary>
    private static IEnumerable<string> ParentFolders(IEnumerable<string> relativePaths)
    {
        var seen = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var path in relativePaths)
        {
            var parts = path.Trim('/').Split('/');
            for (var i = 1; i < parts.Length; i++)
            {
                seen.Add(string.Join('/', parts[..i]));
            }
        }

        return seen.OrderBy(f => f.Count(c => c == '/')).ThenBy(f => f, StringComparer.Ordinal);
    }

    private static Dictionary<string, IDictionary<string, bool>> Filter(string key, string value) =>
        new() { [key] = new Dictionary<string, bool> { [value] = true } };

    /// <summary>Docker's list filter for objects carrying every given label.</summary>
    private static Dictionary<string, IDictionary<string, bool>> LabelFilter(IReadOnlyDictionary<string, string> labels) =>
        new() { ["label"] = labels.ToDictionary(kv => $"{kv.Key}={kv.Value}", _ => true) };

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
