using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;
using SandboxGrains.Grains.Runners;
using SandboxGrains.Http.Http1;

namespace SandboxGrains.Silo.Forwarding.Relay;

/// <summary>
/// The relay a runner's silo serves other silos on <c>Silo:InternalUrls</c>: a signed request (<see cref="RelayProtocol"/>)
/// for one of this runner's sandboxes becomes a raw byte stream to that sandbox's container address and port, both ways
/// at once, so HTTP, WebSockets and long uploads all pass as they would straight. It opens nothing else: no other
/// container, not the host, not a metadata address; refusals are logged with who asked and for what, never the signature.
/// </summary>
internal sealed class RunnerRelay(IGrainFactory grains, LocalRunner local, IOptions<RelayOptions> options, TimeProvider time, ILogger<RunnerRelay> logger)
{
    private readonly byte[] _key = RelayProtocol.Key(options.Value.Secret ?? throw new InvalidOperationException("a relay needs Cluster:Secret"));

    // Nonces of signatures taken, so a captured request cannot be sent again while its time is good. Those older than
    // twice the clock skew (and two seconds for whole-second times) are dropped whenever the map has doubled since the
    // last sweep: a signature that old is refused for its time anyway. Kept in memory, so a relay restarted within the
    // skew would take a captured request once more; the network between hosts is the cluster's own (docs/operations.md).
    private const int FirstSweepAt = 10_000;
    private readonly ConcurrentDictionary<string, DateTimeOffset> _nonces = new(StringComparer.Ordinal);
    private int _sweepAt = FirstSweepAt;

    public async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var upgrade = context.Features.Get<IHttpUpgradeFeature>();
        if (!HttpMethods.IsGet(request.Method) || request.Path != RelayProtocol.Path || upgrade is not { IsUpgradableRequest: true }
            || !string.Equals(request.Headers.Upgrade, RelayProtocol.UpgradeToken, StringComparison.OrdinalIgnoreCase))
        {
            await RefuseAsync(context, StatusCodes.Status404NotFound, RelayProtocol.Errors.NotARelayRequest, "this listener is the runner's relay for other silos and serves nothing else");
            return;
        }

        var sandboxId = request.Headers[RelayProtocol.SandboxHeader].ToString();
        var target = request.Headers[RelayProtocol.TargetHeader].ToString();
        var now = time.GetUtcNow();
        if (RelayProtocol.Verify(_key, now, request.Headers[RelayProtocol.SignatureHeader], sandboxId, target) is not { } nonce || !TakeNonce(nonce, now))
        {
            if (ShouldLog(context.Connection.RemoteIpAddress, now))
            {
                logger.LogWarning(
                    "Refused a relay request from {Remote} for sandbox {SandboxId} at {Target}: no valid signature (missing, wrong secret, stale, or replayed); further refusals from there are not logged for a minute",
                    context.Connection.RemoteIpAddress, Printable(sandboxId), Printable(target));
            }

            await RefuseAsync(context, StatusCodes.Status401Unauthorized, RelayProtocol.Errors.BadSignature, "the request is not signed with this cluster's secret");
            return;
        }

        var (destination, refusal) = await CheckTargetAsync(sandboxId, target, context.RequestAborted);
        if (destination is null)
        {
            var (status, code, reason) = refusal!.Value;
            if (ShouldLog(context.Connection.RemoteIpAddress, now))
            {
                logger.LogWarning(
                    "Refused a relay request from {Remote} for sandbox {SandboxId} at {Target}: {Reason}",
                    context.Connection.RemoteIpAddress, Printable(sandboxId), Printable(target), reason);
            }

            await RefuseAsync(context, status, code, reason);
            return;
        }

        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        Http1ConnectionPool.KeepAlive(socket);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
            timeout.CancelAfter(Http1ConnectionPool.ConnectTimeout);
            await socket.ConnectAsync(destination, timeout.Token);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException && !context.RequestAborted.IsCancellationRequested)
        {
            var refused = e is SocketException { SocketErrorCode: SocketError.ConnectionRefused };
            await RefuseAsync(context, StatusCodes.Status502BadGateway, refused ? RelayProtocol.Errors.NothingListens : RelayProtocol.Errors.TargetUnreachable,
                refused ? $"nothing listens at {destination}" : $"{destination} did not answer");
            return;
        }

        // The upgraded connection is the app's traffic, as long and as large as it likes.
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = null;
        }

        if (context.Features.Get<IHttpMinRequestBodyDataRateFeature>() is { } rate)
        {
            rate.MinDataRate = null;
        }

        await using var caller = await upgrade.UpgradeAsync();
        await using var app = new NetworkStream(socket, ownsSocket: false);
        await PumpAsync(caller, app, context.RequestAborted);
    }

    /// <summary>
    /// The container's <c>address:port</c> when <paramref name="target"/> is on one of this runner's started sandboxes'
    /// own address. Any port of it: a sandbox's apps listen where they like, and a straight connect could reach them all.
    /// </summary>
    private async Task<(IPEndPoint? Destination, (int Status, string Code, string Reason)? Refusal)> CheckTargetAsync(
        string sandboxId, string target, CancellationToken cancellationToken)
    {
        if (!IPEndPoint.TryParse(target, out var destination) || destination.Port == 0)
        {
            return (null, (StatusCodes.Status403Forbidden, RelayProtocol.Errors.NotThisRunner, "the target is not an address:port"));
        }

        DaemonEndpoint endpoint;
        try
        {
            // Asked of the sandbox's grain each time, not of the route cache: the relay is where access is decided, and a
            // cached address of a deleted sandbox may since have gone to another container.
            endpoint = await grains.GetGrain<ISandboxGrain>(sandboxId).GetDaemonEndpointAsync(cancellationToken);
        }
        catch (SandboxException e) when (e.Code == SandboxErrorCodes.NotFound)
        {
            return (null, (StatusCodes.Status403Forbidden, RelayProtocol.Errors.NotThisRunner, "no such sandbox"));
        }
        catch (Exception e) when (SandboxErrorCodes.IsClusterChurn(e))
        {
            return (null, (StatusCodes.Status503ServiceUnavailable, RelayProtocol.Errors.NotServing, "the cluster is re-forming"));
        }

        if (endpoint.RunnerId != local.RunnerId)
        {
            return (null, (StatusCodes.Status403Forbidden, RelayProtocol.Errors.NotThisRunner, $"the sandbox is on runner {endpoint.RunnerId}, not this silo's {local.RunnerId}"));
        }

        if (endpoint is not { State: SandboxState.Started, Address: { } daemon } || !IPEndPoint.TryParse(daemon, out var container))
        {
            return (null, (StatusCodes.Status503ServiceUnavailable, RelayProtocol.Errors.NotServing, $"the sandbox is {endpoint.State.ToString().ToLowerInvariant()}"));
        }

        if (IPAddress.IsLoopback(container.Address))
        {
            // A container's address never is loopback; a sandbox whose is (seed 002's host mode: a daemon on the host) would
            // hand other silos this host's own loopback ports. Host mode refuses cluster mode, so this only guards the rule.
            return (null, (StatusCodes.Status403Forbidden, RelayProtocol.Errors.NotThisRunner, "the sandbox's address is this host's loopback, which the relay never opens"));
        }

        return container.Address.Equals(destination.Address)
            ? (destination, null)
            : (null, (StatusCodes.Status403Forbidden, RelayProtocol.Errors.NotThisRunner, "the target is not the sandbox's container address"));
    }

    /// <summary>
    /// Bytes both ways until either side is done, then both stop: Kestrel takes the caller's end of its writes as the end
    /// of the connection, and an app that closes ends the caller's connection as it would have straight.
    /// </summary>
    private static async Task PumpAsync(Stream caller, Stream app, CancellationToken aborted)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(aborted);
        var up = CopyAsync(caller, app, stop.Token);
        var down = CopyAsync(app, caller, stop.Token);
        await Task.WhenAny(up, down);
        await stop.CancelAsync();
        await Task.WhenAll(up, down);
    }

    /// <summary>True when <paramref name="from"/> ended cleanly; false when either side broke or the relay stopped.</summary>
    private static async Task<bool> CopyAsync(Stream from, Stream to, CancellationToken cancellationToken)
    {
        try
        {
            await from.CopyToAsync(to, 64 * 1024, cancellationToken);
            return true;
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            return false;
        }
    }

    // When a refusal from each address was last logged: anyone who reaches the relay's port can send refused requests, and
    // must not be able to flood the log with them.
    private const int MaxLoggedAddresses = 10_000;
    private readonly ConcurrentDictionary<IPAddress, DateTimeOffset> _loggedRefusals = new();

    private bool ShouldLog(IPAddress? remote, DateTimeOffset now)
    {
        var key = remote ?? IPAddress.None;
        if (_loggedRefusals.TryGetValue(key, out var last) && now - last < TimeSpan.FromMinutes(1))
        {
            return false;
        }

        if (_loggedRefusals.Count >= MaxLoggedAddresses)
        {
            _loggedRefusals.Clear();
        }

        _loggedRefusals[key] = now;
        return true;
    }

    private bool TakeNonce(string nonce, DateTimeOffset now)
    {
        if (_nonces.Count >= Volatile.Read(ref _sweepAt))
        {
            foreach (var (old, seen) in _nonces)
            {
                if (now - seen > (2 * RelayProtocol.MaxClockSkew) + TimeSpan.FromSeconds(2))
                {
                    _nonces.TryRemove(old, out _);
                }
            }

            Volatile.Write(ref _sweepAt, Math.Max(FirstSweepAt, 2 * _nonces.Count));
        }

        return _nonces.TryAdd(nonce, now);
    }

    private static async Task RefuseAsync(HttpContext context, int status, string code, string reason)
    {
        context.Response.StatusCode = status;
        context.Response.Headers[RelayProtocol.ErrorHeader] = code;
        context.Response.ContentType = "text/plain; charset=utf-8";
        await context.Response.WriteAsync(reason + "\n", context.RequestAborted);
    }

    /// <summary>A header value fit for a log line: bounded, and nothing that could forge another line.</summary>
    private static string Printable(string value) =>
        new([.. value.Take(100).Select(c => char.IsControl(c) ? '?' : c)]);
}

/// <summary>Where the relay sits in the route table.</summary>
internal static class RunnerRelayRoutes
{
    /// <summary>
    /// Every request on the relay's own port (<c>Silo:InternalUrls</c>) goes to <see cref="RunnerRelay"/> and nowhere else;
    /// the relay is not served on the API's ports.
    /// </summary>
    public static WebApplication UseRunnerRelay(this WebApplication app)
    {
        // Read without validating: a mistake in these settings is reported with every other one when the silo starts.
        var ports = RelayOptions.Read(app.Configuration).ListenUrls.Select(url => url.Port).ToHashSet();
        if (ports.Count > 0)
        {
            app.UseWhen(
                context => ports.Contains(context.Connection.LocalPort),
                relay => relay.Run(context => context.RequestServices.GetRequiredService<RunnerRelay>().HandleAsync(context)));
        }

        return app;
    }
}
