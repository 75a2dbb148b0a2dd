using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SandboxGrains.Images;

namespace SandboxGrains.Docker;

/// <summary>
/// Moves images between this runner's engine and registries, with the credentials configured for each registry. Pulls
/// run one per image at a time: creates of the same image wait on the same pull and read the same progress. A pull runs
/// to its end (or its timeout) even when every caller has given up, so a retried create finds the image, not half of it.
/// </summary>
internal sealed partial class ImageTransfers(IContainerRuntime docker, IOptionsMonitor<RegistryOptions> registries, ILogger<ImageTransfers> logger)
{
    private readonly Dictionary<string, Pull> _pulls = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    /// <summary>Pulls <paramref name="image"/>, or joins the pull of it already under way.</summary>
    public Task PullAsync(string image, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (!_pulls.TryGetValue(image, out var pull))
            {
                pull = new Pull();
                _pulls[image] = pull;
                pull.Task = RunAsync(image, pull);
            }

            return pull.Task.WaitAsync(cancellationToken);
        }
    }

    /// <summary>Pushes a local image to its registry (a snapshot), bounded by the pull timeout.</summary>
    public async Task PushAsync(string image, CancellationToken cancellationToken)
    {
        var options = registries.CurrentValue;
        var registry = ImageReference.TryParse(image, out var reference, out _) ? reference.RegistryHost : ImageReference.DockerHub;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.PullTimeout);
        var started = TimeProvider.System.GetTimestamp();
        try
        {
            await docker.PushImageAsync(image, options.For(registry), timeout.Token).ConfigureAwait(false);
            LogPushed(image, TimeProvider.System.GetElapsedTime(started).TotalMilliseconds);
        }
        catch (OperationCanceledException e) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new RegistryException(image, RegistryFailure.Other,
                $"pushing {image} to {registry} took longer than {options.PullTimeout.TotalMinutes:0.#} min (Registries:PullTimeout)", e);
        }
    }

    /// <summary>How far the pull of <paramref name="image"/> has come; null when none is under way.</summary>
    public PullProgress? ProgressOf(string image)
    {
        lock (_lock)
        {
            return _pulls.TryGetValue(image, out var pull) ? pull.Progress : null;
        }
    }

    private async Task RunAsync(string image, Pull pull)
    {
        await Task.Yield();
        var options = registries.CurrentValue;
        var registry = ImageReference.TryParse(image, out var reference, out _) ? reference.RegistryHost : ImageReference.DockerHub;
        var auth = options.For(registry);
        using var timeout = new CancellationTokenSource(options.PullTimeout);
        var started = TimeProvider.System.GetTimestamp();
        LogPulling(image, registry, auth is not null);
        try
        {
            await docker.PullImageAsync(image, auth, pull, timeout.Token).ConfigureAwait(false);
            LogPulled(image, TimeProvider.System.GetElapsedTime(started).TotalMilliseconds);
        }
        catch (OperationCanceledException e) when (timeout.IsCancellationRequested)
        {
            LogPullFailed(image, "timed out");
            throw new RegistryException(image, RegistryFailure.Other,
                $"pulling {image} from {registry} took longer than {options.PullTimeout.TotalMinutes:0.#} min (Registries:PullTimeout)", e);
        }
        catch (ContainerRuntimeException e)
        {
            LogPullFailed(image, e.Message);
            throw;
        }
        finally
        {
            lock (_lock)
            {
                _pulls.Remove(image);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "pulling image {Image} from {Registry} (credentials: {WithCredentials})")]
    private partial void LogPulling(string image, string registry, bool withCredentials);

    [LoggerMessage(Level = LogLevel.Information, Message = "pulled image {Image} in {Milliseconds:0} ms")]
    private partial void LogPulled(string image, double milliseconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "pushed image {Image} in {Milliseconds:0} ms")]
    private partial void LogPushed(string image, double milliseconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "pulling image {Image} failed: {Reason}")]
    private partial void LogPullFailed(string image, string reason);

    private sealed class Pull : IProgress<PullProgress>
    {
        public Task Task { get; set; } = Task.CompletedTask;

        public PullProgress Progress { get; private set; } = PullProgress.Starting;

        public void Report(PullProgress value) => Progress = value;
    }
}
