using System.Text.Json;
using SandboxGrains.Runners;
using SandboxGrains.Sandboxes;

namespace SandboxGrains.Docker.Sandboxes;

/// <summary>
/// Handing a warm pool's sandbox to a caller: the claim goes to the daemon, which writes it beside its secret (Docker's
/// archive upload when the daemon may not), and is read back for a grain that lost its state.
/// </summary>
internal sealed partial class SandboxContainers
{
    public async Task<SandboxContainer> ClaimAsync(string containerId, SandboxClaim claim, DaemonLaunch daemon, CancellationToken cancellationToken)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(new ClaimFile(claim.Name, claim.Labels, claim.Env, claim.Policies, claim.ClaimedAt), MarkerJson);

        // The daemon writes the file itself, and its answer proves it serves: the claim's whole cost is one request.
        if (_addresses.TryGetValue(containerId, out var known))
        {
            var (written, notWritable) = await SendClaimAsync(known, daemon.Token, json, cancellationToken).ConfigureAwait(false);
            if (written || notWritable)
            {
                return await FinishClaimAsync(containerId, known, daemon.Token, json, notWritable, cancellationToken).ConfigureAwait(false);
            }
        }

        var seen = await InspectAsync(containerId, daemon.Token, cancellationToken).ConfigureAwait(false);
        if (!seen.IsServing)
        {
            throw new ContainerRuntimeException($"the pooled sandbox's daemon does not answer ({seen.ExitReason ?? "no answer at its address"})");
        }

        var (sent, refused) = await SendClaimAsync(seen.DaemonAddress!, daemon.Token, json, cancellationToken).ConfigureAwait(false);
        return sent || refused
            ? await FinishClaimAsync(containerId, seen.DaemonAddress!, daemon.Token, json, refused, cancellationToken).ConfigureAwait(false)
            : throw new ContainerRuntimeException("the pooled sandbox's daemon did not take its claim");
    }

    private async Task<SandboxContainer> FinishClaimAsync(
        string containerId, string address, string token, byte[] json, bool throughDocker, CancellationToken cancellationToken)
    {
        if (throughDocker)
        {
            // The daemon runs as a user who may not write beside its secret: Docker writes the file (in one call, into
            // "/" with the folder in the file's path), and the daemon reads it at its next process start.
            await docker.CopyToContainerAsync(containerId, "/", [new ArchiveFile(ClaimPath.TrimStart('/'), json)], cancellationToken).ConfigureAwait(false);
        }

        return new SandboxContainer(containerId, true, true, null, address, await ProbeAsync(address, token, cancellationToken).ConfigureAwait(false) ?? "");
    }

    /// <summary>Sends the claim to the daemon: (true, _) when it wrote it; (false, true) when it cannot write there; (false, false) when it did not answer.</summary>
    private async Task<(bool Written, bool NotWritable)> SendClaimAsync(string address, string token, byte[] json, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ProbeTimeout);
        try
        {
            using var request = DaemonRequest(HttpMethod.Put, address, token, DaemonProtocol.ClaimPath);
            request.Content = new ByteArrayContent(json);
            using var response = await _http.SendAsync(request, timeout.Token).ConfigureAwait(false);
            return response.IsSuccessStatusCode
                ? (true, false)
                : (false, response.Headers.TryGetValues(DaemonProtocol.ErrorHeader, out var codes) && codes.Contains(DaemonProtocol.Errors.ClaimNotWritable));
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return (false, false);
        }
    }

    private async Task<SandboxClaim?> ReadClaimAsync(string containerId, CancellationToken cancellationToken)
    {
        if (await docker.ReadFileAsync(containerId, ClaimPath, cancellationToken).ConfigureAwait(false) is not { } bytes)
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize<ClaimFile>(bytes, MarkerJson) is { ClaimedAt: var at } file
                ? new SandboxClaim(file.Name, file.Labels ?? new Dictionary<string, string>(), file.Env ?? new Dictionary<string, string>(), file.Policies ?? SandboxPolicies.Default, at)
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private const string ClaimPath = TokenFolder + "/" + DaemonProtocol.ClaimFileName;

    /// <summary>The claim file: the daemon reads <c>env</c>; a grain that lost its state reads the rest.</summary>
    private sealed record ClaimFile(
        string? Name, IReadOnlyDictionary<string, string>? Labels, IReadOnlyDictionary<string, string>? Env, SandboxPolicies? Policies, DateTimeOffset ClaimedAt);
}
