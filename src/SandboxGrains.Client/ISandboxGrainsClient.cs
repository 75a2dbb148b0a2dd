using SandboxGrains.Previews;
using SandboxGrains.Sandboxes;

namespace SandboxGrains.Client;

/// <summary>
/// What a backend does with sandboxes. Two implementations: <see cref="SandboxGrainsHttpClient"/> over the v1 HTTP API
/// (from anywhere) and <see cref="SandboxGrainsGrainClient"/> as an Orleans client (from inside the cluster).
/// </summary>
public interface ISandboxGrainsClient
{
    /// <summary>Creates a sandbox and returns it started.</summary>
    Task<Sandbox> CreateSandboxAsync(CreateSandboxRequest request, CancellationToken cancellationToken = default);

    /// <summary>One sandbox by id.</summary>
    Task<Sandbox> GetSandboxAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>Every sandbox, optionally only those carrying all of <paramref name="labels"/>.</summary>
    Task<IReadOnlyList<Sandbox>> ListSandboxesAsync(IReadOnlyDictionary<string, string>? labels = null, CancellationToken cancellationToken = default);

    /// <summary>Changes a sandbox's lifecycle policies and labels; what <paramref name="update"/> leaves out stays as it is.</summary>
    Task<Sandbox> UpdateSandboxAsync(string id, SandboxUpdate update, CancellationToken cancellationToken = default);

    /// <summary>Marks the sandbox active now, as traffic would: its idle auto-stop starts over.</summary>
    Task KeepAliveAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>Stops a sandbox's container.</summary>
    Task<Sandbox> StopSandboxAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>Starts a stopped sandbox again.</summary>
    Task<Sandbox> StartSandboxAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>Deletes a sandbox; an adopted container is kept unless <paramref name="removeContainer"/>.</summary>
    Task DeleteSandboxAsync(string id, bool removeContainer = false, CancellationToken cancellationToken = default);

    /// <summary>Makes a running container (name or id) a sandbox.</summary>
    Task<Sandbox> AdoptSandboxAsync(string container, string? injection = null, CancellationToken cancellationToken = default);

    /// <summary>Runs a shell command in the sandbox and returns its exit code and combined output.</summary>
    Task<ExecuteResult> ExecuteAsync(string id, string command, string? cwd = null, int? timeoutSeconds = null, CancellationToken cancellationToken = default);

    /// <summary>Writes a file in the sandbox from a stream.</summary>
    Task UploadFileAsync(string id, string path, Stream content, CancellationToken cancellationToken = default);

    /// <summary>Reads a file from the sandbox as a stream the caller disposes.</summary>
    Task<Stream> DownloadFileAsync(string id, string path, CancellationToken cancellationToken = default);

    /// <summary>
    /// Makes a preview link to <paramref name="port"/> inside the sandbox. The answer carries the token and both URLs;
    /// it is the only time they are shown. <paramref name="expiresIn"/> null: no expiry.
    /// </summary>
    Task<Preview> CreatePreviewAsync(string id, int port, TimeSpan? expiresIn = null, CancellationToken cancellationToken = default);

    /// <summary>The sandbox's preview links (ids, ports, expiry; not their tokens).</summary>
    Task<IReadOnlyList<Preview>> ListPreviewsAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>Revokes a preview link by its token; it stops working on every silo within a second.</summary>
    Task RevokePreviewAsync(string token, CancellationToken cancellationToken = default);
}
