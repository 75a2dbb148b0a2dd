using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.Extensions.Options;
using SandboxGrains.Images;

namespace SandboxGrains.Docker;

/// <summary>
/// Deletes an image from its registry through the registry's own HTTP API (the Docker engine can push but not delete):
/// the tag's manifest digest is looked up, then the manifest deleted. Registries with basic authentication (the
/// distribution registry with htpasswd) are supported; loopback registries are spoken to over plain HTTP, as Docker does.
/// </summary>
public sealed class RegistryManifests(IOptionsMonitor<RegistryOptions> registries) : IDisposable
{
    private static readonly string[] ManifestTypes =
    [
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.oci.image.index.v1+json",
    ];

    private readonly HttpClient _http = new(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false }) { Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>Deletes <paramref name="image"/> (<c>registry/repository:tag</c>) from its registry; one already gone is fine.</summary>
    public async Task DeleteAsync(string image, CancellationToken cancellationToken)
    {
        if (!ImageReference.TryParse(image, out var reference, out var problem) || reference.Registry is null || reference.Tag is null)
        {
            throw new ArgumentException($"not a tagged image in a registry: {image} {problem}", nameof(image));
        }

        var auth = registries.CurrentValue.For(reference.Registry);
        // A digest (sha256:…) is not a relative URI of its own, so the addresses are put together as text.
        var baseUri = $"{(IsLoopback(reference.Registry) ? "http" : "https")}://{reference.Registry}/v2/{reference.Repository}/manifests/";
        using var head = Request(HttpMethod.Head, new Uri(baseUri + reference.Tag), auth);
        foreach (var type in ManifestTypes)
        {
            head.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(type));
        }

        using var found = await SendAsync(head, reference, cancellationToken).ConfigureAwait(false);
        if (found.StatusCode == HttpStatusCode.NotFound)
        {
            return;
        }

        Ensure(found, reference, "looking up");
        var digest = found.Headers.TryGetValues("Docker-Content-Digest", out var values) ? values.FirstOrDefault() : null;
        if (digest is null)
        {
            throw new RegistryException(image, RegistryFailure.Other, $"registry {reference.Registry} did not say the digest of {image}, so it cannot be deleted");
        }

        using var delete = Request(HttpMethod.Delete, new Uri(baseUri + digest), auth);
        using var deleted = await SendAsync(delete, reference, cancellationToken).ConfigureAwait(false);
        if (deleted.StatusCode == HttpStatusCode.MethodNotAllowed)
        {
            throw new RegistryException(image, RegistryFailure.Other,
                $"registry {reference.Registry} does not allow deletes (the distribution registry needs storage.delete.enabled: true)");
        }

        if (deleted.StatusCode != HttpStatusCode.NotFound)
        {
            Ensure(deleted, reference, "deleting");
        }
    }

    public void Dispose() => _http.Dispose();

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, ImageReference reference, CancellationToken cancellationToken)
    {
        try
        {
            return await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException || (e is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            throw new RegistryException(reference.ToString(), RegistryFailure.Unreachable, $"registry {reference.Registry} cannot be reached: {e.Message}", e);
        }
    }

    private static void Ensure(HttpResponseMessage response, ImageReference reference, string doing)
    {
        if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
        {
            throw new RegistryException(reference.ToString(), RegistryFailure.Unauthorized,
                $"registry {reference.Registry} refused {doing} {reference} ({(int)response.StatusCode}); check Registries:{reference.Registry}");
        }

        if (!response.IsSuccessStatusCode)
        {
            throw new RegistryException(reference.ToString(), RegistryFailure.Other,
                $"registry {reference.Registry} answered {(int)response.StatusCode} {doing} {reference}");
        }
    }

    private static HttpRequestMessage Request(HttpMethod method, Uri uri, RegistryAuth? auth)
    {
        var request = new HttpRequestMessage(method, uri);
        if (auth is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue(
                "Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{auth.Username}:{auth.Password}")));
        }

        return request;
    }

    private static bool IsLoopback(string registry)
    {
        var host = registry.Split(':')[0];
        return host == "localhost" || (IPAddress.TryParse(host, out var address) && IPAddress.IsLoopback(address));
    }
}
