using SandboxGrains.Docker;
using SandboxGrains.Docker.Sandboxes;
using SandboxGrains.Runners;
using SandboxGrains.Sandboxes;

namespace SandboxGrains.Grains.Tests;

/// <summary>
/// The container work of the test cluster's runner, in memory: containers that exist, run, stop, vanish, and whose
/// daemon answers or not, as a test says. Failures are thrown as the Docker project's own exceptions, so the runner
/// grain turns them into sandbox errors exactly as it does for Docker.
/// </summary>
public sealed class FakeSandboxContainers : ISandboxContainers
{
    public const string DaemonVersion = "0.0.0-fake";

    private readonly Lock _lock = new();
    private readonly Dictionary<string, FakeContainer> _containers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Func<CancellationToken, Task>> _beforeCreate = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Func<CancellationToken, Task>> _beforeStop = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _checks = new(StringComparer.Ordinal);
    private readonly Dictionary<string, FakeContainer> _archives = new(StringComparer.Ordinal);
    private int _created;

    /// <summary>
    /// Runs <paramref name="before"/>, with the runner's cancellation token, when the runner is asked to create
    /// <paramref name="sandboxId"/>'s container: throw to fail the create, await to hold it.
    /// </summary>
    public void BeforeCreate(string sandboxId, Func<CancellationToken, Task> before)
    {
        lock (_lock)
        {
            _beforeCreate[sandboxId] = before;
        }
    }

    /// <summary>Runs <paramref name="before"/>, with the runner's cancellation token, when the runner is asked to stop a container.</summary>
    public void BeforeStop(string containerId, Func<CancellationToken, Task> before)
    {
        lock (_lock)
        {
            _beforeStop[containerId] = before;
        }
    }

    /// <summary>Puts a container on the runner as if someone else (or an earlier silo) had made it.</summary>
    public void Plant(FakeContainer container)
    {
        lock (_lock)
        {
            _containers.Add(container.Id, container);
        }
    }

    /// <summary>Changes a container the way something outside the cluster would.</summary>
    public void Change(string containerId, Action<FakeContainer> change)
    {
        lock (_lock)
        {
            change(_containers[containerId]);
        }
    }

    /// <summary>Removes a container behind the cluster's back.</summary>
    public void RemoveOutside(string containerId)
    {
        lock (_lock)
        {
            _containers.Remove(containerId);
        }
    }

    /// <summary>A copy of what the fake knows about a container right now, or null once it is gone.</summary>
    public FakeContainer? Find(string containerId)
    {
        lock (_lock)
        {
            return _containers.TryGetValue(containerId, out var found) ? Copy(found) : null;
        }
    }

    /// <summary>How often a sandbox's health check asked about the container (<c>EnsureDaemon</c>), whether it exists or not.</summary>
    public int ChecksOf(string containerId)
    {
        lock (_lock)
        {
            return _checks.GetValueOrDefault(containerId);
        }
    }

    /// <summary>The container made for a sandbox, or null when there is none.</summary>
    public FakeContainer? OfSandbox(string sandboxId)
    {
        lock (_lock)
        {
            var found = _containers.Values.FirstOrDefault(c => SandboxLabels.SandboxIdOf(c.Labels) == sandboxId);
            return found is null ? null : Copy(found);
        }
    }

    public async Task<SandboxContainer> CreateAsync(string runnerId, SandboxContainerRequest request, CancellationToken cancellationToken)
    {
        await BeforeAsync(_beforeCreate, request.SandboxId, cancellationToken);

        var spec = request.Spec;
        var labels = SandboxLabels.For(request, spec.WorkDir ?? "/").Write(request.SandboxId, runnerId);
        lock (_lock)
        {
            var container = new FakeContainer
            {
                Id = $"ctr{++_created:D4}-{request.SandboxId}",
                Name = $"sandbox-{request.SandboxId}",
                Image = spec.Image,
                Labels = labels,
                Env = [.. spec.Env.Select(e => $"{e.Key}={e.Value}")],
                User = spec.User,
                WorkingDir = spec.WorkDir,
                Token = request.DaemonToken,
            };
            _containers.Add(container.Id, container);
            return Seen(container);
        }
    }

    public Task<SandboxContainer> StartAsync(string containerId, DaemonLaunch daemon, CancellationToken cancellationToken) =>
        Task.FromResult(WithContainer(containerId, container =>
        {
            container.Running = true;
            container.ExitReason = null;
            return Seen(container);
        }));

    public async Task StopAsync(string containerId, CancellationToken cancellationToken)
    {
        await BeforeAsync(_beforeStop, containerId, cancellationToken);
        WithContainer(containerId, container =>
        {
            container.Running = false;
            container.ExitReason = "exited with exit code 143";
            return true;
        });
    }

    public Task RemoveAsync(string containerId, CancellationToken cancellationToken)
    {
        RemoveOutside(containerId);
        return Task.CompletedTask;
    }

    public Task<SandboxContainer> EnsureDaemonAsync(string containerId, DaemonLaunch daemon, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            _checks[containerId] = _checks.GetValueOrDefault(containerId) + 1;
            if (!_containers.TryGetValue(containerId, out var container))
            {
                // As Docker answers an inspect of a removed container: it no longer exists.
                return Task.FromResult(new SandboxContainer(containerId, false, false, "the container no longer exists", null, null));
            }

            return Task.FromResult(Seen(container));
        }
    }

    public Task<RecoveredContainer> ReadAsync(string container, CancellationToken cancellationToken) =>
        Task.FromResult(WithContainer(container, found => new RecoveredContainer(
            Seen(found),
            found.Image,
            found.Labels,
            found.Env,
            found.User,
            found.Token,
            found.Name,
            found.WorkingDir,
            SandboxLabels.IsManaged(found.Labels) ? null : found.Adoption,
            found.Claim)));

    public Task<SandboxContainer> ClaimAsync(string containerId, SandboxClaim claim, DaemonLaunch daemon, CancellationToken cancellationToken) =>
        Task.FromResult(WithContainer(containerId, container =>
        {
            var seen = Seen(container);
            if (!seen.IsServing)
            {
                throw new ContainerRuntimeException("the pooled sandbox's daemon does not answer");
            }

            container.Claim = claim;
            return seen;
        }));

    public Task<bool> HasImageAsync(string image, CancellationToken cancellationToken) => Task.FromResult(true);

    // Volumes are tested against a real engine; here they only exist by name.
    private readonly Dictionary<string, SandboxGrains.Volumes.VolumeInfo> _volumes = new(StringComparer.Ordinal);

    public Task<SandboxGrains.Volumes.VolumeInfo> CreateVolumeAsync(string runnerId, string name, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            return Task.FromResult(_volumes[name] = new SandboxGrains.Volumes.VolumeInfo(name, runnerId, $"sandboxgrains-vol-{name}", DateTimeOffset.UnixEpoch));
        }
    }

    public Task<IReadOnlyList<SandboxGrains.Volumes.VolumeInfo>> ListVolumesAsync(string runnerId, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            return Task.FromResult<IReadOnlyList<SandboxGrains.Volumes.VolumeInfo>>([.. _volumes.Values]);
        }
    }

    public Task RemoveVolumeAsync(string name, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            _volumes.Remove(name);
            return Task.CompletedTask;
        }
    }

    private readonly List<string> _committed = [];

    /// <summary>Every snapshot image committed and not removed since.</summary>
    public IReadOnlyList<string> SnapshotImages
    {
        get
        {
            lock (_lock)
            {
                return [.. _committed];
            }
        }
    }

    public Task<long> CommitSnapshotAsync(string containerId, string image, string snapshotName, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            WithContainer(containerId, _ => true);
            _committed.Add(image);
            return Task.FromResult(1024L);
        }
    }

    // Image listings and operator deletes are tested against a real engine.
    public Task<IReadOnlyList<SandboxGrains.Images.RunnerImage>> ListImagesAsync(CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<SandboxGrains.Images.RunnerImage>>([]);

    public Task DeleteImageAsync(string image, CancellationToken cancellationToken) => throw new ImageNotFoundException(image, null);

    // A registry is not faked: snapshots in grain tests have none, and pushes are tested against a real registry.
    public Task PushImageAsync(string image, CancellationToken cancellationToken) =>
        throw new NotSupportedException("grain tests configure no snapshot registry");

    public Task PublishImageAsync(string image, string remoteImage, CancellationToken cancellationToken) =>
        throw new NotSupportedException("grain tests configure no snapshot registry");

    private readonly List<string> _pulled = [];

    /// <summary>Every image pulled so far, in order (the pulls themselves are tested against a real registry and engine).</summary>
    public IReadOnlyList<string> Pulled
    {
        get
        {
            lock (_lock)
            {
                return [.. _pulled];
            }
        }
    }

    public Task PullImageAsync(string image, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            _pulled.Add(image);
        }

        return Task.CompletedTask;
    }

    public SandboxGrains.Images.PullProgress? PullProgressOf(string image) => null;

    /// <summary>The archive images that exist, as Docker's image list would show them.</summary>
    public IReadOnlyCollection<string> Archives
    {
        get
        {
            lock (_lock)
            {
                return [.. _archives.Keys];
            }
        }
    }

    public Task<string> ArchiveAsync(string runnerId, string containerId, SandboxContainerRequest request, CancellationToken cancellationToken) =>
        Task.FromResult(WithContainer(containerId, container =>
        {
            var image = SandboxLabels.ArchiveImage(request.SandboxId);
            _archives[image] = new FakeContainer
            {
                Id = container.Id,
                Name = container.Name,
                Image = container.Image,
                Labels = SandboxLabels.For(request, request.Spec.WorkDir ?? "/").Write(request.SandboxId, runnerId),
                Env = container.Env,
                User = container.User,
                WorkingDir = container.WorkingDir,
                Token = container.Token,
                Claim = container.Claim,
            };
            _containers.Remove(container.Id);
            return image;
        }));

    public Task<RecoveredContainer> ReadArchiveAsync(string archiveImage, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            var archived = _archives.GetValueOrDefault(archiveImage) ?? throw new ImageNotFoundException(archiveImage, null);
            return Task.FromResult(new RecoveredContainer(
                new SandboxContainer(archiveImage, false, false, "archived", null, null), archiveImage, archived.Labels, archived.Env, archived.User, null, archived.Name, archived.WorkingDir, null));
        }
    }

    public Task<SandboxContainer> RestoreAsync(string runnerId, SandboxContainerRequest request, string archiveImage, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            var archived = _archives.GetValueOrDefault(archiveImage) ?? throw new ImageNotFoundException(archiveImage, null);
            var container = new FakeContainer
            {
                Id = $"ctr{++_created:D4}-{request.SandboxId}",
                Name = archived.Name,
                Image = archiveImage,
                Labels = SandboxLabels.For(request, request.Spec.WorkDir ?? "/").Write(request.SandboxId, runnerId),
                Env = archived.Env,
                User = archived.User,
                WorkingDir = archived.WorkingDir,
                Token = request.DaemonToken,
                Claim = archived.Claim,
            };
            _containers.Add(container.Id, container);
            return Task.FromResult(Seen(container));
        }
    }

    public Task RemoveImageAsync(string image, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            _archives.Remove(image);
            _committed.Remove(image);
        }

        return Task.CompletedTask;
    }

    public Task<SandboxContainer> AdoptAsync(string containerId, AdoptionMarker adoption, string daemonToken, CancellationToken cancellationToken) =>
        Task.FromResult(WithContainer(containerId, container =>
        {
            container.Adoption = adoption;
            container.Token = daemonToken;
            container.DaemonAnswers = true;
            return Seen(container);
        }));

    public Task ReleaseAsync(string containerId, DaemonLaunch daemon, CancellationToken cancellationToken) =>
        Task.FromResult(WithContainer(containerId, container =>
        {
            container.Adoption = null;
            container.Token = null;
            container.DaemonAnswers = false;
            return true;
        }));

    public Task<IReadOnlyList<ManagedContainer>> ListAsync(string runnerId, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            IReadOnlyList<ManagedContainer> found = [.. _containers.Values
                .Select(c => (Container: c, SandboxId: SandboxLabels.SandboxIdOf(c.Labels) ?? c.Adoption?.SandboxId))
                .Where(c => c.SandboxId is not null)
                .Select(c => new ManagedContainer(c.SandboxId!, c.Container.Id, c.Container.Running ? "running" : "exited")),
                .. _archives.Keys
                    .Where(image => !_containers.Values.Any(c => SandboxLabels.SandboxIdOf(c.Labels) == SandboxLabels.SandboxIdOfArchive(image)))
                    .Select(image => new ManagedContainer(SandboxLabels.SandboxIdOfArchive(image)!, image, ManagedContainer.Archived))];
            return Task.FromResult(found);
        }
    }

    private async Task BeforeAsync(Dictionary<string, Func<CancellationToken, Task>> hooks, string key, CancellationToken cancellationToken)
    {
        Func<CancellationToken, Task>? before;
        lock (_lock)
        {
            hooks.Remove(key, out before);
        }

        if (before is not null)
        {
            await before(cancellationToken);
        }
    }

    /// <summary>Looks a container up by id or name, as Docker does.</summary>
    private T WithContainer<T>(string container, Func<FakeContainer, T> use)
    {
        lock (_lock)
        {
            var found = _containers.GetValueOrDefault(container) ?? _containers.Values.FirstOrDefault(c => c.Name == container)
                ?? throw new ContainerNotFoundException(container, null);
            return use(found);
        }
    }

    private static SandboxContainer Seen(FakeContainer container) => new(
        container.Id,
        Exists: true,
        container.Running,
        container.Running ? null : container.ExitReason,
        container.Running ? container.Address : null,
        container.Running && container.DaemonAnswers && container.Token is not null ? DaemonVersion : null);

    private static FakeContainer Copy(FakeContainer c) => new()
    {
        Id = c.Id,
        Name = c.Name,
        Image = c.Image,
        Labels = c.Labels,
        Env = c.Env,
        User = c.User,
        WorkingDir = c.WorkingDir,
        Token = c.Token,
        Adoption = c.Adoption,
        Running = c.Running,
        ExitReason = c.ExitReason,
        DaemonAnswers = c.DaemonAnswers,
    };
}
