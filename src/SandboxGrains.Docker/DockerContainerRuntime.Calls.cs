using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Docker.DotNet;
using SandboxGrains.Telemetry;

namespace SandboxGrains.Docker;

/// <summary>How every call reaches the engine: a span per call, missing containers and unreachable engines named as ours.</summary>
internal sealed partial class DockerContainerRuntime
{
    private Task<T> OnContainerAsync<T>(string container, Func<Task<T>> call, [CallerMemberName] string operation = "") =>
        MapNotFound(container, () => CallAsync(call, operation, container));

    private Task<bool> OnContainerAsync(string container, Func<Task> call, [CallerMemberName] string operation = "") =>
        MapNotFound(container, () => CallAsync(async () => { await call().ConfigureAwait(false); return true; }, operation, container));

    private static async Task<T> MapNotFound<T>(string container, Func<Task<T>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (DockerContainerNotFoundException e)
        {
            throw new ContainerNotFoundException(container, e);
        }
        catch (DockerApiException e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            throw new ContainerNotFoundException(container, e);
        }
    }

    /// <summary>
    /// Every call to the engine: a client span named for the operation (Docker.DotNet's own HTTP handler makes none), and
    /// "could not connect" failures turned into one exception that says where we tried and why it failed.
    /// </summary>
    private async Task<T> CallAsync<T>(Func<Task<T>> call, [CallerMemberName] string operation = "", string? container = null)
    {
        using var span = SandboxGrainsTelemetry.Source.StartActivity($"docker {operation.Replace("Async", "", StringComparison.Ordinal)}", ActivityKind.Client);
        span?.SetTag(SandboxGrainsTelemetry.ContainerId, container is null ? null : Log.Truncated(container));
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (Exception e) when (IsConnectionFailure(e))
        {
            span?.SetStatus(ActivityStatusCode.Error, "docker unavailable");
            throw new DockerUnavailableException($"cannot reach Docker at {Endpoint}: {Innermost(e).Message}", e);
        }
        catch (Exception e)
        {
            span?.SetStatus(ActivityStatusCode.Error, e.GetType().Name);
            throw;
        }
    }

    private async Task CallAsync(Func<Task> call, [CallerMemberName] string operation = "") =>
        await CallAsync(async () => { await call().ConfigureAwait(false); return true; }, operation).ConfigureAwait(false);

    private static bool IsConnectionFailure(Exception e) =>
        e is HttpRequestException or SocketException or TimeoutException
        || (e is IOException && e.InnerException is SocketException)
        || (e is TaskCanceledException && e.InnerException is TimeoutException);

    private static Exception Innermost(Exception e)
    {
        while (e.InnerException is not null)
        {
            e = e.InnerException;
        }

        return e;
    }
}
