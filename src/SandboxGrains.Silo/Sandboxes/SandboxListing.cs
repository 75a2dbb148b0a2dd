namespace SandboxGrains.Silo.Sandboxes;

/// <summary>
/// One page of the cluster's sandboxes in id order, keeping those a filter wants: what every listing (the native API's,
/// Daytona's) walks, so paging and its cursor mean the same everywhere.
/// </summary>
internal static class SandboxListing
{
    /// <summary>Up to <paramref name="pageSize"/> sandboxes after <paramref name="cursor"/>; the cursor is null on the last page.</summary>
    public static async Task<(IReadOnlyList<SandboxInfo> Items, string? NextCursor)> PageAsync(
        IGrainFactory grains, Func<SandboxInfo, bool> wanted, string? cursor, int pageSize)
    {
        // Walk the registry in id order, filtering as we go, until the page is full or the ids run out.
        var registry = grains.GetGrain<ISandboxRegistryGrain>(ISandboxRegistryGrain.Key);
        var items = new List<SandboxInfo>();
        var after = cursor;
        string? next = null;
        while (items.Count < pageSize)
        {
            var ids = await registry.ListAsync(after, pageSize);
            if (ids.Count == 0)
            {
                break;
            }

            var infos = await Task.WhenAll(ids.Select(id => TryGetAsync(grains, id)));
            foreach (var (id, info) in ids.Zip(infos))
            {
                after = id;
                if (info is not null && wanted(info))
                {
                    items.Add(info);
                    if (items.Count == pageSize)
                    {
                        next = id;
                        break;
                    }
                }
            }

            if (ids.Count < pageSize)
            {
                break;
            }
        }

        // A full page may be followed by nothing; one look ahead keeps the cursor honest.
        if (next is not null && (await registry.ListAsync(next, 1)).Count == 0)
        {
            next = null;
        }

        return (items, next);
    }

    private static async Task<SandboxInfo?> TryGetAsync(IGrainFactory grains, string id)
    {
        try
        {
            return await grains.GetGrain<ISandboxGrain>(id).GetAsync();
        }
        catch (SandboxException e) when (e.Code == SandboxErrorCodes.NotFound)
        {
            return null;
        }
    }
}
