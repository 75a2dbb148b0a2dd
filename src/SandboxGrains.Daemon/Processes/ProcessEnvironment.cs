using SandboxGrains.Daemon.Http;

namespace SandboxGrains.Daemon.Processes;

/// <summary>
/// The environment every process the daemon starts gets, in layers: the daemon's own (less its secret), then a warm
/// pool's claim, then what callers changed through <c>POST /env</c>, then the request's own variables. Commands,
/// sessions, code runs, git and pseudo-terminals all start from here, so a change reaches each of them the same way.
/// Changes live as long as the daemon does (Daytona's daemon keeps them in its process environment, likewise).
/// </summary>
internal sealed class ProcessEnvironment(ClaimedEnvironment claimed)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, string> _set = new(StringComparer.Ordinal);
    private readonly HashSet<string> _unset = new(StringComparer.Ordinal);

    /// <summary>The environment a warm pool's claim gave this sandbox (empty until claimed).</summary>
    public ClaimedEnvironment Claimed { get; } = claimed;

    /// <summary>The environment a new process starts with, <paramref name="request"/>'s variables last.</summary>
    public Dictionary<string, string> For(IReadOnlyDictionary<string, string>? request)
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (System.Collections.DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            env[(string)entry.Key] = (string?)entry.Value ?? "";
        }

        // The daemon's secret stays with the daemon.
        env.Remove(DaemonOptions.TokenEnvironmentVariable);
        foreach (var (key, value) in Claimed.Current())
        {
            env[key] = value;
        }

        lock (_gate)
        {
            foreach (var name in _unset)
            {
                env.Remove(name);
            }

            foreach (var (key, value) in _set)
            {
                env[key] = value;
            }
        }

        Validate(request, "envs");
        foreach (var (key, value) in request ?? new Dictionary<string, string>())
        {
            env[key] = value;
        }

        return env;
    }

    /// <summary>
    /// Applies a <c>POST /env</c>: names in <paramref name="unset"/> go, and with <paramref name="unsetValuePrefix"/>
    /// every variable whose value starts with it (unless <paramref name="set"/> names it), then <paramref name="set"/>
    /// is applied.
    /// </summary>
    public void Update(IReadOnlyDictionary<string, string>? set, IReadOnlyList<string>? unset, string? unsetValuePrefix)
    {
        Validate(set, "set");
        foreach (var name in unset ?? [])
        {
            CheckName(name, "unset");
        }

        var byPrefix = string.IsNullOrEmpty(unsetValuePrefix)
            ? []
            : For(null).Where(e => e.Value.StartsWith(unsetValuePrefix, StringComparison.Ordinal) && set?.ContainsKey(e.Key) != true)
                .Select(e => e.Key).ToList();
        lock (_gate)
        {
            foreach (var name in (unset ?? []).Concat(byPrefix))
            {
                _set.Remove(name);
                _unset.Add(name);
            }

            foreach (var (key, value) in set ?? new Dictionary<string, string>())
            {
                _unset.Remove(key);
                _set[key] = value;
            }
        }
    }

    /// <summary>Refuses variables a process environment cannot hold (an empty name, '=' in a name, NUL anywhere).</summary>
    private static void Validate(IReadOnlyDictionary<string, string>? env, string field)
    {
        foreach (var (key, value) in env ?? new Dictionary<string, string>())
        {
            CheckName(key, field);
            if (value.Contains('\0', StringComparison.Ordinal))
            {
                throw DaemonError.BadRequest($"{field}: the value of {key} contains a NUL character", "INVALID_ENV");
            }
        }
    }

    private static void CheckName(string name, string field)
    {
        if (name.Length == 0 || name.Contains('=', StringComparison.Ordinal) || name.Contains('\0', StringComparison.Ordinal))
        {
            throw DaemonError.BadRequest($"{field}: '{name}' is not a valid environment variable name (empty, or has '=' or NUL)", "INVALID_ENV");
        }
    }
}
