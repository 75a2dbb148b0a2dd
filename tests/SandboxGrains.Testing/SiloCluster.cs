using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Runtime;
using SandboxGrains.Sandboxes;

namespace SandboxGrains.Testing;

/// <summary>
/// Silo processes joined through one Redis (clustering and storage) under a cluster id of their own, and an Orleans
/// client of them: what the cluster tests and the cluster benchmark run against.
/// </summary>
public sealed class SiloCluster(
    string redis,
    IReadOnlyDictionary<string, string>? settings = null,
    IReadOnlyDictionary<string, string?>? environment = null) : IAsyncDisposable
{
    private readonly Dictionary<int, SiloProcess> _bySiloPort = [];
    private IHost? _client;

    public string ClusterId { get; } = $"test-{Guid.NewGuid():N}"[..20];

    /// <summary>The Orleans client, once <see cref="ConnectAsync"/> has run.</summary>
    public IClusterClient Grains => _client?.Services.GetRequiredService<IClusterClient>()
        ?? throw new InvalidOperationException("connect the client first");

    /// <summary>
    /// Starts one more silo: with a runner (its own id unless <paramref name="runnerId"/> names one) or API-only; with
    /// <paramref name="relayUrl"/>, the runner's relay listens there (<c>Silo:InternalUrls</c>; needs <c>Cluster:Secret</c>).
    /// </summary>
    public SiloProcess StartSilo(bool runner, string? runnerId = null, string? relayUrl = null)
    {
        var siloPort = FreePort.Next();
        var flags = new Dictionary<string, string>
        {
            ["ConnectionStrings:redis"] = redis,
            ["Orleans:ClusterId"] = ClusterId,
            ["Orleans:ServiceId"] = ClusterId,
            ["Orleans:Endpoints:AdvertisedIPAddress"] = "127.0.0.1",
            ["Orleans:Endpoints:SiloPort"] = siloPort.ToString(CultureInfo.InvariantCulture),
            ["Runner:Enabled"] = runner ? "true" : "false",

            // All on this machine: every silo reaches every runner's containers itself. Tests of the relay between
            // hosts set Cluster:Secret and turn this off.
            ["Runner:ContainerNetworkReachable"] = "true",
        };
        if (runnerId is not null)
        {
            flags["Runner:Id"] = runnerId;
        }

        if (relayUrl is not null)
        {
            flags["Silo:InternalUrls"] = relayUrl;
        }

        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            flags[key] = value;
        }

        var silo = SiloProcess.Start(flags, environment);
        _bySiloPort[siloPort] = silo;
        return silo;
    }

    /// <summary>Connects an Orleans client through Redis clustering, as a backend beside the cluster would; a silo must be up.</summary>
    public async Task ConnectAsync(CancellationToken cancellationToken)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.UseOrleansClient(client =>
        {
            client.UseRedisClustering(redis);
            client.Configure<ClusterOptions>(o => (o.ClusterId, o.ServiceId) = (ClusterId, ClusterId));
        });
        _client = builder.Build();
        await _client.StartAsync(cancellationToken);
    }

    /// <summary>
    /// The silo process that holds the sandbox's grain activation, asked of Orleans itself; retried for a while when the
    /// client's call meets a silo that was just killed (its gateway list still names it until the cluster says otherwise).
    /// </summary>
    public async Task<SiloProcess> GrainHostAsync(string sandboxId)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                var address = await Grains.GetGrain<IManagementGrain>(0).GetActivationAddress(Grains.GetGrain<ISandboxGrain>(sandboxId))
                    ?? throw new InvalidOperationException($"sandbox {sandboxId} has no activation");
                return _bySiloPort[address.Endpoint.Port];
            }
            catch (Exception e) when (SandboxErrorCodes.IsClusterChurn(e) && DateTime.UtcNow < deadline)
            {
                await Task.Delay(200);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_client is not null)
        {
            await _client.StopAsync(CancellationToken.None);
            _client.Dispose();
        }

        foreach (var silo in _bySiloPort.Values)
        {
            await silo.DisposeAsync();
        }
    }
}
