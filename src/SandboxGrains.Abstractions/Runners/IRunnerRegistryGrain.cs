namespace SandboxGrains.Runners;

/// <summary>The cluster's list of runners (a single activation, key <see cref="Key"/>).</summary>
[Alias("sandboxgrains.IRunnerRegistryGrain")]
public interface IRunnerRegistryGrain : IGrainWithStringKey
{
    /// <summary>The one key this grain is used with.</summary>
    const string Key = "cluster";

    /// <summary>Adds a runner id; adding it again does nothing.</summary>
    [Alias("Add")]
    Task AddAsync(string runnerId, CancellationToken cancellationToken = default);

    /// <summary>Every runner id ever registered and not removed.</summary>
    /// <remarks>No cancellation token yet: the silo calls this holding a token of its own, which adding one would oblige it to forward (CA2016).</remarks>
    [Alias("List")]
    Task<IReadOnlyList<string>> ListAsync(CancellationToken cancellationToken = default);
}
