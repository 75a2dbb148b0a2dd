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

    /// <summary>
    /// Writes the claim file from a request body (which must be a claim's JSON), atomically, and takes its environment.
    /// Returns null when written, else why not (the caller then answers <see cref="DaemonProtocol.Errors.ClaimNotWritable"/>).
    /// </summary>
    public async Task<string?> SaveAsync(Stream body, CancellationToken cancellationToken)
    {
        if (claimFile is null)
        {
            return "the daemon was started without --token-file, so it has no claim file";
        }

        using var buffer = new MemoryStream();
        await body.CopyToAsync(buffer, cancellationToken);
        var bytes = buffer.ToArray();
        var env = JsonSerializer.Deserialize(bytes, DaemonJson.Default.ClaimDto)?.Env ?? throw new JsonException("the claim has no env object");
        var temporary = claimFile + ".tmp";
        try
        {
            await using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 4096, FileOptions.WriteThrough))
            {
                await file.WriteAsync(bytes, cancellationToken);
            }

            File.Move(temporary, claimFile, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return e.Message;
        }

        lock (_gate)
        {
            _env = env;
            _readAt = File.GetLastWriteTimeUtc(claimFile);
        }

        return null;
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
