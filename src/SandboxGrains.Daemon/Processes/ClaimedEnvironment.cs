using System.Text.Json;
using SandboxGrains.Daemon.Http;

namespace SandboxGrains.Daemon.Processes;

/// <summary>
/// The environment a caller gave when its create claimed this sandbox from a warm pool: the container was started
/// before anyone asked for it, so its own environment cannot carry the caller's. Read from the claim file the runner
/// writes, again whenever the file changes, so it also holds after the daemon restarts.
/// </summary>
internal sealed class ClaimedEnvironment(string? claimFile)
{
    private static readonly IReadOnlyDictionary<string, string> None = new Dictionary<string, string>();

    private readonly Lock _gate = new();
    private DateTime _readAt;
    private IReadOnlyDictionary<string, string> _env = None;

    /// <summary>The claimed environment now; empty while the sandbox is unclaimed (or the file cannot be read).</summary>
    public IReadOnlyDictionary<string, string> Current()
    {
        if (claimFile is null)
        {
            return None;
        }

        // One stat per process started; the file is read again only when it was written since.
        var written = File.GetLastWriteTimeUtc(claimFile);
        lock (_gate)
        {
            if (written == _readAt)
            {
                return _env;
            }

            _env = Read(claimFile);
            _readAt = written;
            return _env;
        }
    }

    private static IReadOnlyDictionary<string, string> Read(string path)
    {
        try
        {
            using var file = File.OpenRead(path);
            return JsonSerializer.Deserialize(file, DaemonJson.Default.ClaimDto)?.Env ?? None;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            return None;
        }
    }
}
