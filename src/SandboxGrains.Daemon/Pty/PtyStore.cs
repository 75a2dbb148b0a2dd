using System.Collections.Concurrent;
using SandboxGrains.Daemon.Http;
using SandboxGrains.Daemon.Processes;

namespace SandboxGrains.Daemon.Pty;

/// <summary>The terminal sessions by id. A session leaves when its shell exits or is killed, as on Daytona.</summary>
internal sealed class PtyStore(ProcessLauncher launcher)
{
    /// <summary>Daytona's limit on either dimension of a terminal.</summary>
    public const int MaxSize = 1000;

    private readonly ConcurrentDictionary<string, PtySession> _sessions = new(StringComparer.Ordinal);

    public IEnumerable<PtySession> All => _sessions.Values.OrderBy(s => s.CreatedAt);

    public PtySession Get(string id) =>
        _sessions.TryGetValue(id, out var session) ? session : throw DaemonError.NotFound($"PTY session {id} not found", "PTY_NOT_FOUND");

    /// <summary>A new session (409 when the id is taken); its shell starts now unless <paramref name="lazyStart"/>.</summary>
    public PtySession Create(string? id, string? cwd, IReadOnlyDictionary<string, string>? envs, int? cols, int? rows, bool lazyStart)
    {
        if (string.IsNullOrWhiteSpace(id))
        {
            throw DaemonError.BadRequest("'id' is required", "MISSING_SESSION_ID");
        }

        var directory = WorkingDirectory.Resolve(cwd, launcher.Options);
        var (width, height) = (Size(cols, 80, "cols"), Size(rows, 24, "rows"));
        // What the session was asked for is what its info shows; the daemon's own environment (a claim's secrets
        // included) stays out of it.
        var asked = new Dictionary<string, string>(envs ?? new Dictionary<string, string>(), StringComparer.Ordinal);
        asked.TryAdd("TERM", "xterm-256color");
        var env = launcher.Environment.For(asked);
        var shell = ExecutableSearch.Find(env.GetValueOrDefault("PATH"), "bash") ?? ProcessLauncher.Shell
            ?? throw DaemonError.BadRequest("a terminal needs a shell, and this sandbox's image has none (/bin/sh)", "NO_SHELL");
        var session = new PtySession(
            id, directory, asked, width, height, lazyStart,
            () => PseudoTerminal.Start(shell, ["-i", "-l"], directory, env, width, height, launcher),
            ended => _sessions.TryRemove(new KeyValuePair<string, PtySession>(ended.Id, ended)));
        if (!_sessions.TryAdd(id, session))
        {
            throw DaemonError.Conflict($"PTY session {id} already exists", "PTY_EXISTS");
        }

        if (!lazyStart)
        {
            Start(session);
        }

        return session;
    }

    /// <summary>Starts a session's shell; one that cannot start is removed again and answers 500 saying why.</summary>
    public void Start(PtySession session)
    {
        try
        {
            session.EnsureStarted();
        }
        catch (IOException e)
        {
            _sessions.TryRemove(new KeyValuePair<string, PtySession>(session.Id, session));
            throw new DaemonError(500, "PTY_START_FAILED", $"PTY session {session.Id} could not start: {e.Message}");
        }
    }

    /// <summary>A terminal dimension: the default when absent, else 1 to <see cref="MaxSize"/>.</summary>
    public static ushort Size(int? value, ushort fallback, string name) => value switch
    {
        null => fallback,
        >= 1 and <= MaxSize => (ushort)value.Value,
        _ => throw DaemonError.BadRequest($"'{name}' must be from 1 to {MaxSize}", "INVALID_SIZE"),
    };
}
