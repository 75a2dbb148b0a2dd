using SandboxGrains.Daemon.Http;

namespace SandboxGrains.Daemon;

/// <summary>What sandboxd was started with: <c>sandboxd --work-dir DIR [--port N] [--listen ADDRESS] [--token-file F [--token-stdin]] [-- command...]</c>.</summary>
internal sealed record DaemonOptions(
    string WorkDir,
    int Port,
    DaemonSecret Secret,
    IReadOnlyList<string> EntrypointCommand,
    long MaxBodyBytes,
    string? ClaimFile = null,
    bool SecretOnStdin = false,
    System.Net.IPAddress? ListenAddress = null)
{
    public const string TokenEnvironmentVariable = "SANDBOXD_TOKEN";

    /// <summary>Parses the command line; returns null and an error in words when it is not usable.</summary>
    public static (DaemonOptions? Options, string? Error) Parse(string[] args)
    {
        string? workDir = null;
        string? tokenFile = null;
        var tokenFromStdin = false;
        var port = DaemonProtocol.DefaultPort;
        System.Net.IPAddress? listen = null;
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
                    case "--listen":
                        // In a container every address is the sandbox's own; on a host (seed 002's host mode) only
                        // loopback keeps the daemon from the network.
                        if (!System.Net.IPAddress.TryParse(Value(), out listen))
                        {
                            return (null, "--listen must be an IP address, such as 127.0.0.1");
                        }

                        break;
                    case "--token-file": tokenFile = Value(); break;
                    case "--token-stdin": tokenFromStdin = true; break;
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

        // A secret file may not exist yet: the cluster writes it once the container runs (see DaemonSecret).
        var secret = tokenFile is not null
            ? DaemonSecret.FromFile(tokenFile)
            : Environment.GetEnvironmentVariable(TokenEnvironmentVariable) is { } token && !string.IsNullOrWhiteSpace(token)
                ? DaemonSecret.Fixed(token.Trim())
                : null;
        if (tokenFromStdin && tokenFile is null)
        {
            return (null, "--token-stdin needs --token-file: the secret read from stdin is kept there");
        }

        if (secret is null)
        {
            return (null, $"no daemon secret: set {TokenEnvironmentVariable} or pass --token-file (every request must carry it in {DaemonProtocol.SecretHeader})");
        }

        workDir ??= Environment.GetEnvironmentVariable("HOME") is { Length: > 0 } home ? home : "/";
        // A claim (a warm pool's sandbox handed to a caller) is written beside the secret; no secret file, no claims.
        var claimFile = tokenFile is null ? null : Path.Combine(Path.GetDirectoryName(Path.GetFullPath(tokenFile))!, DaemonProtocol.ClaimFileName);
        return (new DaemonOptions(Path.GetFullPath(workDir), port, secret, command, maxBodyMb * 1024 * 1024, claimFile, tokenFromStdin, listen), null);
    }
}
