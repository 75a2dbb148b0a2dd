using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Primitives;

namespace SandboxGrains.Silo.Daytona;

/// <summary>
/// The filters of Daytona's <c>GET /sandbox</c>, read from its query and applied to each sandbox as the listing walks.
/// Every filter the 0.218 SDK can send is honoured, in our terms (a region is a runner; we have no disk sizes, GPUs,
/// public or recoverable sandboxes, so asking for some finds none). Sorting is the listing's business, not a filter's.
/// </summary>
internal sealed class DaytonaListFilter
{
    private readonly List<Func<SandboxInfo, bool>> _tests = [];

    /// <summary>The filter, or the first bad parameter and why.</summary>
    public static (DaytonaListFilter? Filter, string? Field, string? Problem) Read(IQueryCollection query)
    {
        var filter = new DaytonaListFilter();
        string? field = null;
        string? problem = null;

        bool Fail(string name, string why)
        {
            (field, problem) = (name, why);
            return false;
        }

        bool Text(string name, Func<string, Func<SandboxInfo, bool>> test)
        {
            if (query[name] is { Count: > 0 } values && values[0] is { Length: > 0 } value)
            {
                filter._tests.Add(test(value));
            }

            return true;
        }

        bool Number(string name, Func<double, Func<SandboxInfo, bool>> test)
        {
            if (query[name] is not { Count: > 0 } values)
            {
                return true;
            }

            if (!double.TryParse(values[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
            {
                return Fail(name, "must be a number");
            }

            filter._tests.Add(test(number));
            return true;
        }

        bool Time(string name, Func<DateTimeOffset, Func<SandboxInfo, bool>> test)
        {
            if (query[name] is not { Count: > 0 } values)
            {
                return true;
            }

            if (!DateTimeOffset.TryParse(values[0], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time))
            {
                return Fail(name, "must be an ISO 8601 time");
            }

            filter._tests.Add(test(time));
            return true;
        }

        bool Flag(string name, Func<bool, Func<SandboxInfo, bool>> test)
        {
            if (query[name] is not { Count: > 0 } values)
            {
                return true;
            }

            if (!bool.TryParse(values[0], out var flag))
            {
                return Fail(name, "must be true or false");
            }

            filter._tests.Add(test(flag));
            return true;
        }

        bool AnyOf(string name, Func<HashSet<string>, Func<SandboxInfo, bool>> test)
        {
            if (Values(query[name]) is { Count: > 0 } wanted)
            {
                filter._tests.Add(test(wanted));
            }

            return true;
        }

        var read =
            Text("id", id => info => info.Id.StartsWith(id, StringComparison.OrdinalIgnoreCase))
            && Text("name", name => info => info.Name.StartsWith(name, StringComparison.OrdinalIgnoreCase))
            && Labels(query["labels"], filter, ref field, ref problem)
            && States(query["states"], filter, ref field, ref problem)
            && AnyOf("snapshots", wanted => info => wanted.Contains(info.Snapshot ?? info.Image))
            && AnyOf("regionIds", wanted => info => info.RunnerId is { } runner && wanted.Contains(runner))
            && AnyOf("sandboxClasses", wanted => _ => wanted.Contains("container"))
            && Number("minCpu", min => info => info.Cpu >= min)
            && Number("maxCpu", max => info => info.Cpu <= max)
            && Number("minMemoryGiB", min => info => info.MemoryMb / 1024.0 >= min)
            && Number("maxMemoryGiB", max => info => info.MemoryMb / 1024.0 <= max)
            && Number("minDiskGiB", min => _ => min <= 0)
            && Number("maxDiskGiB", _ => _ => true)
            && Number("minGpu", min => _ => min <= 0)
            && Number("maxGpu", _ => _ => true)
            && Flag("isPublic", isPublic => _ => !isPublic)
            && Flag("isRecoverable", recoverable => _ => !recoverable)
            && Time("createdAtAfter", after => info => info.CreatedAt > after)
            && Time("createdAtBefore", before => info => info.CreatedAt < before)
            && Time("lastEventAfter", after => info => info.LastActivityAt > after)
            && Time("lastEventBefore", before => info => info.LastActivityAt < before)
            && Time("autoDestroyAtAfter", after => info => DaytonaSandbox.AutoDestroyAtOf(info) > after)
            && Time("autoDestroyAtBefore", before => info => DaytonaSandbox.AutoDestroyAtOf(info) < before);
        if (!read)
        {
            return (null, field, problem);
        }

        return (filter, null, null);
    }

    /// <summary>True when the sandbox passes every filter asked for; a warm pool's unclaimed sandboxes never do.</summary>
    public bool Matches(SandboxInfo info) => info.PoolId is null && _tests.TrueForAll(test => test(info));

    private static bool Labels(StringValues values, DaytonaListFilter filter, ref string? field, ref string? problem)
    {
        if (values is not { Count: > 0 } || values[0] is not { Length: > 0 } json)
        {
            return true;
        }

        try
        {
            if (JsonSerializer.Deserialize<Dictionary<string, string>>(json) is { } wanted)
            {
                filter._tests.Add(info => wanted.All(l => info.Labels.TryGetValue(l.Key, out var v) && v == l.Value));
            }

            return true;
        }
        catch (JsonException)
        {
            (field, problem) = ("labels", "must be a JSON object of string values, e.g. {\"team\":\"a\"}");
            return false;
        }
    }

    private static bool States(StringValues values, DaytonaListFilter filter, ref string? field, ref string? problem)
    {
        var states = new HashSet<SandboxState>();
        foreach (var name in Values(values))
        {
            if (!DaytonaStates.TryParse(name, out var state))
            {
                (field, problem) = ("states", $"'{name}' is not a sandbox state such as started or stopped");
                return false;
            }

            states.Add(state);
        }

        if (states.Count > 0)
        {
            filter._tests.Add(info => states.Contains(info.State));
        }

        return true;
    }

    /// <summary>A repeated parameter's values (<c>a=x&amp;a=y</c>), also taken comma-separated.</summary>
    private static HashSet<string> Values(StringValues values) =>
        [.. values.SelectMany(v => (v ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))];
}
