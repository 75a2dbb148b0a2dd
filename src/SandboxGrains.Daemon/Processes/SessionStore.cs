using System.Collections.Concurrent;
using System.IO.Hashing;

namespace SandboxGrains.Daemon.Processes;

/// <summary>All sessions of this daemon, including <c>entrypoint</c> (the image's own command when we are its init).</summary>
internal sealed class SessionStore(ProcessLauncher launcher)
{
    public const string EntrypointSessionId = "entrypoint";

    // Runs one session command: restore the state the previous command left, run this one in the same shell with
    // eval (so `cd` and `export` take effect), save the state again, and keep the command's exit code.
    private const string SessionScript = """
        if [ -f "$__SG_STATE/env" ]; then . "$__SG_STATE/env"; fi
        if [ -f "$__SG_STATE/cwd" ]; then cd "$(cat "$__SG_STATE/cwd")" 2>/dev/null; fi
        __sg_cmd="$__SG_CMD"; unset __SG_CMD
        eval "$__sg_cmd"
        __sg_exit=$?
        unset __sg_cmd
        pwd > "$__SG_STATE/cwd"
        export -p > "$__SG_STATE/env"
        exit $__sg_exit
        """;

    private readonly ConcurrentDictionary<string, Session> _sessions = new(StringComparer.Ordinal);
    private readonly string _stateRoot = Path.Combine(Path.GetTempPath(), ".sandboxd", "sessions");

    public Session Create(string id)
    {
        // Session ids are caller-chosen; the folder name must not be a path, so use a hash of the id.
        var stateDir = Path.Combine(_stateRoot, Convert.ToHexStringLower(XxHash3.Hash(System.Text.Encoding.UTF8.GetBytes(id))));
        var session = new Session(id, stateDir);
        if (!_sessions.TryAdd(id, session))
        {
            throw Http.DaemonError.Conflict($"session {id} already exists", "SESSION_EXISTS");
        }

        Directory.CreateDirectory(stateDir);
        return session;
    }

    public Session Get(string id) =>
        _sessions.TryGetValue(id, out var session) ? session : throw Http.DaemonError.NotFound($"session {id} not found", "SESSION_NOT_FOUND");

    public IEnumerable<Session> All => _sessions.Values.OrderBy(s => s.Id, StringComparer.Ordinal);

    public void Delete(string id)
    {
        if (!_sessions.TryRemove(id, out var session))
        {
            throw Http.DaemonError.NotFound($"session {id} not found", "SESSION_NOT_FOUND");
        }

        foreach (var command in session.Commands)
        {
            command.Process.KillTree();
        }

        try
        {
            Directory.Delete(session.StateDir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>Starts a command in a session.</summary>
    public SessionCommand Execute(Session session, string command)
    {
        if (ProcessLauncher.Shell is not { } shell)
        {
            throw new Http.DaemonError(500, "NO_SHELL", "no shell (/bin/sh) in this sandbox");
        }

        var env = new Dictionary<string, string> { ["__SG_STATE"] = session.StateDir, ["__SG_CMD"] = command };
        var child = launcher.Start(shell, ["-c", SessionScript], null, env, new OutputLog());
        var entry = new SessionCommand(NewCommandId(), command, child);
        session.Add(entry);
        return entry;
    }

    /// <summary>Starts the image's own command as the <c>entrypoint</c> session (we are its init).</summary>
    public SessionCommand StartEntrypoint(IReadOnlyList<string> command)
    {
        var session = Create(EntrypointSessionId);
        var child = launcher.Start(command[0], command.Skip(1), Environment.CurrentDirectory, null, new OutputLog());
        // Like `docker run` without -i: the image's command sees end-of-input, so an interactive shell exits at once.
        child.CloseInput();
        var entry = new SessionCommand(NewCommandId(), string.Join(' ', command), child);
        session.Add(entry);
        return entry;
    }

    private static string NewCommandId() => Guid.NewGuid().ToString("N");
}
