using System.Security.Cryptography;
using System.Text;

namespace SandboxGrains.Daemon.Http;

/// <summary>
/// The secret every request must carry. With <c>--token-stdin</c> it arrives as the first line of standard input (the
/// cluster attaches to a new container's stdin and writes it there: no Docker archive upload, which costs about 60 ms
/// and a process in the engine), and is kept in the <c>--token-file</c> for the cluster to read back after a restart of
/// its own. From <c>--token-file</c> alone it follows the file: the cluster may write the file after the daemon started
/// (into a running container, a restored archive, an image committed from another sandbox), so a secret that does not
/// match makes the daemon read the file again before it refuses; until a secret is known every request is refused.
/// Whoever can write the file already runs as root inside the sandbox, so following it gives nobody anything.
/// </summary>
internal sealed class DaemonSecret
{
    private readonly string? _file;
    private volatile byte[]? _current;

    private DaemonSecret(byte[]? current, string? file)
    {
        _current = current;
        _file = file;
    }

    public static DaemonSecret Fixed(string secret) => new(Encoding.UTF8.GetBytes(secret), null);

    /// <summary>The secret in <paramref name="file"/>, or none yet when the file does not exist.</summary>
    public static DaemonSecret FromFile(string file)
    {
        var secret = new DaemonSecret(null, file);
        secret.Reload();
        return secret;
    }

    /// <summary>
    /// Takes the first line of standard input as the secret, on a thread of its own: the read blocks, and a sandbox with
    /// half a CPU has a thread pool of one, which a blocked read would starve (requests then waited about a second for
    /// the pool to grow). Keeps the secret in the secret file first, so that once a request passes, the cluster can read
    /// it back. Nothing on stdin (a restarted container) leaves the file's, and the thread parked.
    /// </summary>
    public void ReadStandardInput()
    {
        new Thread(() =>
        {
            if (FirstLine(Console.OpenStandardInput()) is not { Length: > 0 } line)
            {
                return;
            }

            if (_file is not null)
            {
                try
                {
                    Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(_file))!);
                    var temporary = _file + ".tmp";
                    File.WriteAllText(temporary, line + "\n");
                    File.Move(temporary, _file, overwrite: true);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    Console.Error.WriteLine($"sandboxd: cannot keep the secret in {_file}: {e.Message}");
                }
            }

            _current = Encoding.UTF8.GetBytes(line);
        })
        { IsBackground = true, Name = "secret from stdin" }.Start();
    }

    /// <summary>The first line of <paramref name="input"/>, trimmed; at most 4 KB is read (a secret is about 40 bytes).</summary>
    private static string? FirstLine(Stream input)
    {
        var buffer = new byte[4096];
        var length = 0;
        try
        {
            while (length < buffer.Length)
            {
                var read = input.Read(buffer, length, buffer.Length - length);
                if (read == 0)
                {
                    break;
                }

                var newline = Array.IndexOf(buffer, (byte)'\n', length, read);
                length += read;
                if (newline >= 0)
                {
                    length = newline;
                    break;
                }
            }
        }
        catch (IOException)
        {
            return null;
        }

        return Encoding.UTF8.GetString(buffer, 0, length).Trim();
    }

    /// <summary>Whether a secret is known yet (start-up says so when it is not).</summary>
    public bool IsKnown => _current is not null;

    /// <summary>The file the secret comes from, if any.</summary>
    public string? SourceFile => _file;

    public bool Matches(string presented)
    {
        if (presented.Length == 0)
        {
            return false;
        }

        var bytes = Encoding.UTF8.GetBytes(presented);
        return Equal(bytes, _current) || (_file is not null && Equal(bytes, Reload()));
    }

    // Constant time for equal lengths; the length of a generated secret is no secret.
    private static bool Equal(byte[] presented, byte[]? expected) =>
        expected is not null && CryptographicOperations.FixedTimeEquals(presented, expected);

    private byte[]? Reload()
    {
        try
        {
            // A half-written file reads as a shorter secret that matches nothing; the next request reads it whole.
            var text = File.ReadAllText(_file!).Trim();
            if (text.Length > 0)
            {
                _current = Encoding.UTF8.GetBytes(text);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Not written yet, or being replaced: keep what we had.
        }

        return _current;
    }
}
