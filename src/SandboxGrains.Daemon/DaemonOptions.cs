namespace SandboxGrains.Daemon;

/// <summary>What sandboxd was started with: <c>sandboxd --work-dir DIR [--port N] [--token-file F] [-- command...]</c>.</summary>
internal sealed record DaemonOptions(
    string WorkDir,
    int Port,
    string Token,
    IReadOnlyList<string> EntrypointCommand,
    long MaxBodyBytes,
    string? ClaimFile = null)
{
    public const string TokenEnvironmentVariable = "SANDBOXD_TOKEN";

    /// <summary>Parses the command line; returns null and an error in words when it is not usable.</summary>
    public static (DaemonOptions? Options, string? Error) Parse(string[] args)
    {
        string? workDir = null;
        string? tokenFile = null;
        var port = DaemonProtocol.DefaultPort;
        long maxBodyMb = 4096;
        var command = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            if (arg == "--")
            {
                command.AddRange(args[(i + 1)..]);
                break;
            }

            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{arg} needs a value");
            try
            {
                switch (arg)
                {
                    case "--work-dir": workDir = Value(); break;
                    case "--port":
                        if (!int.TryParse(Value(), out port) || port is < 1 or > 65535)
                        {
                            return (null, "--port must be a number from 1 to 65535");
                        }

                        break;
                    case "--token-file": tokenFile = Value(); break;
                    case "--max-body-mb":
                        if (!long.TryParse(Value(), out maxBodyMb) || maxBodyMb < 1)
                        {
                            return (null, "--max-body-mb must be a positive number");
                        }

                        break;
                    default: return (null, $"unknown argument {arg}");
                }
            }
            catch (ArgumentException e)
            {
                return (null, e.Message);
            }
        }

        var token = Environment.GetEnvironmentVariable(TokenEnvironmentVariable);
        if (tokenFile is not null)
        {
            try
            {
                token = File.ReadAllText(tokenFile).Trim();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return (null, $"cannot read --token-file {tokenFile}: {e.Message}");
            }
        }

        if (string.IsNullOrWhiteSpace(token))
        {
            return (null, $"no daemon secret: set {TokenEnvironmentVariable} or pass --token-file (every request must carry it in {DaemonProtocol.SecretHeader})");
        }

        workDir ??= Environment.GetEnvironmentVariable("HOME") is { Length: > 0 } home ? home : "/";
        // A claim (a warm pool's sandbox handed to a caller) is written beside the secret; no secret file, no claims.
        var claimFile = tokenFile is null ? null : Path.Combine(Path.GetDirectoryName(Path.GetFullPath(tokenFile))!, DaemonProtocol.ClaimFileName);
        return (new DaemonOptions(Path.GetFullPath(workDir), port, token.Trim(), command, maxBodyMb * 1024 * 1024, claimFile), null);
    }
}
