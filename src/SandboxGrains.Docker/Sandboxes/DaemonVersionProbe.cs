using System.Text.Json;

namespace SandboxGrains.Docker.Sandboxes;

/// <summary>
/// Whether a daemon serves: its <c>/version</c> answer to a request carrying its secret, within a second. One place for
/// every daemon the cluster runs, in a container or (seed 002's host mode) on the host itself.
/// </summary>
public static class DaemonVersionProbe
{
    /// <summary>How long a daemon on a local network (or loopback) may take to answer before it counts as silent.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(1);

    /// <summary>The daemon's version when it answers <c>/version</c> at <paramref name="address"/> with <paramref name="token"/>; null otherwise.</summary>
    public static async Task<string?> ReadAsync(HttpClient http, string address, string token, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"http://{address}{DaemonProtocol.VersionPath}");
            request.Headers.Add(DaemonProtocol.SecretHeader, token);
            using var response = await http.SendAsync(request, timeout.Token).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                return null;
            }

            using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(timeout.Token).ConfigureAwait(false));
            return body.RootElement.TryGetProperty("version", out var version) ? version.GetString() ?? "" : "";
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or JsonException && !cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }
}
