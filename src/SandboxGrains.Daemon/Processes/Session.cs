using System.Collections.Concurrent;

namespace SandboxGrains.Daemon.Processes;

/// <summary>
/// A named session. Each command runs as its own shell process, but the working directory and exported variables
/// one command leaves behind are carried into the next (kept in the session's state folder), which is what callers
/// rely on sessions for. Async commands do not block the session.
/// </summary>
internal sealed class Session(string id, string stateDir)
{
    private readonly ConcurrentDictionary<string, SessionCommand> _commands = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _order = new();

    public string Id { get; } = id;

    /// <summary>Holds <c>cwd</c> and <c>env</c> between commands.</summary>
    public string StateDir { get; } = stateDir;

    public void Add(SessionCommand command)
    {
        _commands[command.Id] = command;
        _order.Enqueue(command.Id);
    }

    public SessionCommand? Find(string commandId) => _commands.GetValueOrDefault(commandId);

    public IEnumerable<SessionCommand> Commands => _order.Select(id => _commands[id]);
}

/// <summary>One command of a session and its process.</summary>
internal sealed record SessionCommand(string Id, string Command, ChildProcess Process);
