namespace SandboxGrains.Sandboxes;

/// <summary>The ids of every sandbox in the cluster (a single activation, key <see cref="Key"/>), for listing.</summary>
[Alias("sandboxgrains.ISandboxRegistryGrain")]
public interface ISandboxRegistryGrain : IGrainWithStringKey
{
    /// <summary>The one key this grain is used with.</summary>
    const string Key = "cluster";

    /// <summary>Adds an id; adding it again does nothing.</summary>
    [Alias("Add")]
    Task AddAsync(string sandboxId, CancellationToken cancellationToken = default);

    /// <summary>Removes an id; removing an unknown one does nothing.</summary>
    [Alias("Remove")]
    Task RemoveAsync(string sandboxId, CancellationToken cancellationToken = default);

    /// <summary>Up to <paramref name="limit"/> ids in order, starting after <paramref name="after"/> (null: from the first).</summary>
    [Alias("List"), AlwaysInterleave]
    Task<IReadOnlyList<string>> ListAsync(string? after, int limit, CancellationToken cancellationToken = default);
}
