using System.Net.Http.Json;
using System.Text.Json;
using SandboxGrains.Previews;
using SandboxGrains.Sandboxes;
using SandboxGrains.WarmPools;

namespace SandboxGrains.Client;

/// <summary>
/// The same operations as <see cref="SandboxGrainsHttpClient"/>, for backends that run beside the cluster: lifecycle calls
/// go straight to the grains through an Orleans client; toolbox calls go straight to the sandbox's daemon, which must be
/// reachable from this process (it is from the runner's host). Connect the Orleans client with
/// <c>UseLocalhostClustering(gatewayPort, serviceId: SandboxGrainsGrainClient.ClusterId, clusterId: SandboxGrainsGrainClient.ClusterId)</c>
/// for the embedded silo, or Redis clustering for a cluster.
/// </summary>
public sealed class SandboxGrainsGrainClient(
    IGrainFactory grains,
    SandboxOptions? defaults = null,
    Uri? previewBaseUrl = null,
    string previewDomain = "localhost") : ISandboxGrainsClient, IDisposable
{
    /// <summary>The service and cluster id every SandboxGrains silo uses unless configured otherwise.</summary>
    public const string ClusterId = "sandboxgrains";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly SandboxOptions _defaults = defaults ?? new SandboxOptions();
    private readonly HttpClient _daemon = new(new SocketsHttpHandler { UseProxy = false, ConnectTimeout = TimeSpan.FromSeconds(5) })
    {
        Timeout = TimeSpan.FromMinutes(15),
    };

    public Task<Sandbox> CreateSandboxAsync(CreateSandboxRequest request, CancellationToken cancellationToken = default) => CallAsync(async () =>
    {
        var (spec, problem) = SandboxRequests.ToSpec(request, _defaults);
        if (spec is null)
        {
            throw new SandboxGrainsException(400, SandboxErrorCodes.InvalidRequest, $"{problem!.Field}: {problem.Message}");
        }

        return Sandbox.From(await WarmPoolClaims.ClaimOrCreateAsync(grains, spec, wait: true, DateTimeOffset.UtcNow, cancellationToken));
    });

    public Task<Sandbox> GetSandboxAsync(string id, CancellationToken cancellationToken = default) =>
        CallAsync(async () => Sandbox.From(await Grain(id).GetAsync()));

    public Task<IReadOnlyList<Sandbox>> ListSandboxesAsync(
        IReadOnlyDictionary<string, string>? labels = null, CancellationToken cancellationToken = default) => CallAsync<IReadOnlyList<Sandbox>>(async () =>
    {
        var registry = grains.GetGrain<ISandboxRegistryGrain>(ISandboxRegistryGrain.Key);
        var found = new List<Sandbox>();
        string? after = null;
        while ((await registry.ListAsync(after, 500)) is { Count: > 0 } ids)
        {
            foreach (var id in ids)
            {
                after = id;
                try
                {
                    var info = await Grain(id).GetAsync();
                    if (info.PoolId is null && (labels is null || labels.All(l => info.Labels.TryGetValue(l.Key, out var v) && v == l.Value)))
                    {
                        found.Add(Sandbox.From(info));
                    }
                }
                catch (SandboxException e) when (e.Code == SandboxErrorCodes.NotFound)
                {
                    // Deleted while we were listing.
                }
            }
        }

        return found;
    });

    public Task<Sandbox> UpdateSandboxAsync(string id, SandboxUpdate update, CancellationToken cancellationToken = default) =>
        CallAsync(async () => Sandbox.From(await Grain(id).UpdateAsync(update, cancellationToken)));

    public Task KeepAliveAsync(string id, CancellationToken cancellationToken = default) =>
        CallAsync(async () =>
        {
            await Grain(id).KeepAliveAsync(cancellationToken);
            return true;
        });

    public Task<Sandbox> StopSandboxAsync(string id, CancellationToken cancellationToken = default) =>
        CallAsync(async () => Sandbox.From(await Grain(id).StopAsync()));

    public Task<Sandbox> StartSandboxAsync(string id, CancellationToken cancellationToken = default) =>
        CallAsync(async () => Sandbox.From(await Grain(id).StartAsync()));

    public Task DeleteSandboxAsync(string id, bool removeContainer = false, CancellationToken cancellationToken = default) =>
        CallAsync(async () => { await Grain(id).DeleteAsync(removeContainer); return true; });

    public Task<Sandbox> AdoptSandboxAsync(string container, string? injection = null, CancellationToken cancellationToken = default) => CallAsync(async () =>
    {
        var (name, mode, problem) = SandboxRequests.ToAdoption(new AdoptSandboxRequest(container, injection));
        if (name is null)
        {
            throw new SandboxGrainsException(400, SandboxErrorCodes.InvalidRequest, $"{problem!.Field}: {problem.Message}");
        }

        return Sandbox.From(await grains.GetGrain<ISandboxGrain>(SandboxIds.New()).AdoptAsync(name, mode));
    });

    public async Task<ExecuteResult> ExecuteAsync(
        string id, string command, string? cwd = null, int? timeoutSeconds = null, CancellationToken cancellationToken = default)
    {
        using var response = await SendToDaemonAsync(
            id, HttpMethod.Post, "/process/execute", JsonContent.Create(new { command, cwd, timeout = timeoutSeconds }, options: Json), cancellationToken).ConfigureAwait(false);
        return await response.Content.ReadFromJsonAsync<ExecuteResult>(Json, cancellationToken).ConfigureAwait(false)
            ?? throw new SandboxGrainsException(502, SandboxErrorCodes.DaemonUnreachable, "the daemon answered with no body");
    }

    public async Task UploadFileAsync(string id, string path, Stream content, CancellationToken cancellationToken = default)
    {
        using var body = new StreamContent(content);
        using var response = await SendToDaemonAsync(
            id, HttpMethod.Post, $"/files/upload?path={Uri.EscapeDataString(path)}", body, cancellationToken).ConfigureAwait(false);
    }

    public async Task<Stream> DownloadFileAsync(string id, string path, CancellationToken cancellationToken = default)
    {
        var response = await SendToDaemonAsync(
            id, HttpMethod.Get, $"/files/download?path={Uri.EscapeDataString(path)}", null, cancellationToken, streamBody: true).ConfigureAwait(false);
        return await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Makes a preview link. The URLs are built from the <c>previewBaseUrl</c> and <c>previewDomain</c> this client was
    /// given (the cluster's public address, which an Orleans client cannot know); without a base URL only the token is set.
    /// </summary>
    public Task<Preview> CreatePreviewAsync(string id, int port, TimeSpan? expiresIn = null, CancellationToken cancellationToken = default) =>
        CallAsync(async () =>
        {
            var issued = await Grain(id).CreatePreviewAsync(port, expiresIn);
            return previewBaseUrl is null
                ? Preview.From(issued.Record) with { Token = issued.Token }
                : PreviewUrls.Describe(issued, previewBaseUrl, previewDomain);
        });

    public Task<IReadOnlyList<Preview>> ListPreviewsAsync(string id, CancellationToken cancellationToken = default) =>
        CallAsync(async () => (IReadOnlyList<Preview>)[.. (await Grain(id).ListPreviewsAsync()).Select(Preview.From)]);

    public Task RevokePreviewAsync(string token, CancellationToken cancellationToken = default) => CallAsync(async () =>
    {
        var tokenHash = PreviewTokens.IsWellFormed(token) ? PreviewTokens.Hash(token) : null;
        var grant = tokenHash is null ? null : await grains.GetGrain<IPreviewGrain>(tokenHash).GetAsync();
        if (grant is null || !await Grain(grant.SandboxId).RevokePreviewAsync(tokenHash!))
        {
            throw new SandboxGrainsException(404, SandboxErrorCodes.PreviewNotFound, "no preview link with this token");
        }

        return true;
    });

    public void Dispose() => _daemon.Dispose();

    private ISandboxGrain Grain(string id) => SandboxIds.IsValid(id)
        ? grains.GetGrain<ISandboxGrain>(id)
        : throw new SandboxGrainsException(404, SandboxErrorCodes.NotFound, $"sandbox {id} not found");

    private async Task<HttpResponseMessage> SendToDaemonAsync(
        string id, HttpMethod method, string pathAndQuery, HttpContent? body, CancellationToken cancellationToken, bool streamBody = false)
    {
        var daemon = await CallAsync(() => Grain(id).GetDaemonEndpointAsync()).ConfigureAwait(false);
        if (daemon.State != SandboxState.Started || daemon.Address is null)
        {
            throw new SandboxGrainsException(409, "sandbox_not_started", $"sandbox {id} is {daemon.State.ToString().ToLowerInvariant()}; start it first");
        }

        using var request = new HttpRequestMessage(method, $"http://{daemon.Address}{pathAndQuery}") { Content = body };
        request.Headers.Add(DaemonProtocol.SecretHeader, daemon.Token);
        var response = await _daemon.SendAsync(
            request, streamBody ? HttpCompletionOption.ResponseHeadersRead : HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            using (response)
            {
                var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
                throw new SandboxGrainsException((int)response.StatusCode, "daemon_error", $"{method} {pathAndQuery} answered {(int)response.StatusCode}: {text}");
            }
        }

        return response;
    }

    /// <summary>
    /// Grain failures become the same exception the HTTP client throws, with the same status and code; so does a cluster
    /// re-forming after a silo died (503 <c>cluster_unavailable</c>: retry), which the Orleans client survives by itself.
    /// </summary>
    private static async Task<T> CallAsync<T>(Func<Task<T>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (SandboxException e)
        {
            throw new SandboxGrainsException(SandboxErrorCodes.HttpStatus(e.Code), e.Code, e.Message, e);
        }
        catch (Exception e) when (SandboxErrorCodes.IsClusterChurn(e))
        {
            throw new SandboxGrainsException(503, SandboxErrorCodes.ClusterUnavailable, $"{SandboxErrorCodes.ClusterUnavailableMessage} ({e.GetType().Name})", e);
        }
    }
}
