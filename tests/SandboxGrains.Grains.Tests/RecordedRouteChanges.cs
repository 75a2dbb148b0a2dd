using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;
using SandboxGrains.Routing;

namespace SandboxGrains.Grains.Tests;

/// <summary>
/// Every route change the grains announced, per silo: the test cluster's stand-in for the front end, which in a real
/// silo drops the entry from its route cache (tested with the real cache in the silo's tests).
/// </summary>
public sealed class RecordedRouteChanges
{
    private readonly ConcurrentQueue<(string Silo, string Kind, string Key)> _notices = new();

    public void Add(string silo, string kind, string key) => _notices.Enqueue((silo, kind, key));

    /// <summary>The silos that were told about <paramref name="key"/> (a token hash or a sandbox id).</summary>
    public IReadOnlySet<string> SilosToldAbout(string kind, string key) =>
        _notices.Where(n => n.Kind == kind && n.Key == key).Select(n => n.Silo).ToHashSet();
}

/// <summary>The grain service every test silo runs in place of the front end's, recording what it is told.</summary>
internal sealed class RecordingRouteInvalidationService(GrainId grainId, Silo silo, ILoggerFactory loggerFactory, RecordedRouteChanges recorded)
    : GrainService(grainId, silo, loggerFactory), IRouteInvalidationService
{
    private readonly string _silo = silo.SiloAddress.ToString();

    public Task ForgetPreviewAsync(string tokenHash)
    {
        recorded.Add(_silo, "preview", tokenHash);
        return Task.CompletedTask;
    }

    public Task ForgetSandboxAsync(string sandboxId)
    {
        recorded.Add(_silo, "sandbox", sandboxId);
        return Task.CompletedTask;
    }
}
