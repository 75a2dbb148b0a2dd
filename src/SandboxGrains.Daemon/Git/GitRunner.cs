using SandboxGrains.Daemon.Processes;

namespace SandboxGrains.Daemon.Git;

/// <summary>What a git run left: its exit code and its standard output (and everything it wrote, for errors).</summary>
internal sealed record GitResult(int ExitCode, string Stdout, string Output);

/// <summary>
/// Runs the image's own <c>git</c> for the <c>/git</c> routes, as a process of the sandbox like any command (the
/// sandbox's environment, reaped and killed like the rest). git never prompts: a missing credential fails at once.
/// </summary>
internal sealed class GitRunner(ProcessLauncher launcher)
{
    /// <summary>
    /// A credential helper given on the command line of git's environment (GIT_CONFIG_*): it answers git's questions
    /// from two variables, so a caller's username and password reach git without touching its arguments (which any
    /// process can read), a URL, or a file. The empty first value drops the helpers the image configures.
    /// </summary>
    private const string CredentialHelper =
        "!f() { test \"$1\" = get && printf 'username=%s\\npassword=%s\\n' \"$SANDBOXD_GIT_USERNAME\" \"$SANDBOXD_GIT_PASSWORD\"; }; f";

    /// <summary>Runs git in <paramref name="directory"/>; its standard output, or the classified error when it fails.</summary>
    public async Task<string> RunAsync(
        string? directory, IReadOnlyList<string> arguments, CancellationToken cancellationToken,
        GitCredentials? credentials = null, string? input = null, IReadOnlyDictionary<string, string>? env = null)
    {
        var result = await TryAsync(directory, arguments, cancellationToken, credentials, input, env);
        return result.ExitCode == 0
            ? result.Stdout
            : throw GitFailure.From(Operation(arguments), result.ExitCode, result.Output, credentials?.Password);
    }

    /// <summary>The git command among <paramref name="arguments"/> (past any <c>-c key=value</c>), for error messages.</summary>
    private static string Operation(IReadOnlyList<string> arguments)
    {
        var i = 0;
        while (i < arguments.Count - 1 && arguments[i] == "-c")
        {
            i += 2;
        }

        return arguments[i];
    }

    /// <summary>Runs git; its exit code and output, for the commands whose failure is an answer (a missing config key).</summary>
    public async Task<GitResult> TryAsync(
        string? directory, IReadOnlyList<string> arguments, CancellationToken cancellationToken,
        GitCredentials? credentials = null, string? input = null, IReadOnlyDictionary<string, string>? env = null)
    {
        var variables = new Dictionary<string, string>(env ?? new Dictionary<string, string>()) { ["GIT_TERMINAL_PROMPT"] = "0" };
        if (credentials is not null)
        {
            variables["GIT_CONFIG_COUNT"] = "2";
            variables["GIT_CONFIG_KEY_0"] = "credential.helper";
            variables["GIT_CONFIG_VALUE_0"] = "";
            variables["GIT_CONFIG_KEY_1"] = "credential.helper";
            variables["GIT_CONFIG_VALUE_1"] = CredentialHelper;
            variables["SANDBOXD_GIT_USERNAME"] = credentials.Username ?? "";
            variables["SANDBOXD_GIT_PASSWORD"] = credentials.Password ?? "";
        }

        var git = ExecutableSearch.Require(launcher.Environment.For(variables).GetValueOrDefault("PATH"), "git (sandbox.git)", "GIT_NOT_FOUND", "git");
        // The daemon is root and acts for the sandbox's user: git's check that a repository belongs to the caller
        // would only refuse repositories that user's programs made.
        string[] all = ["-c", "safe.directory=*", .. arguments];
        ChildProcess child;
        try
        {
            child = launcher.Start(git, all, directory, variables, new OutputLog());
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            throw new Http.DaemonError(500, "GIT_FAILED", $"git could not start: {e.Message}");
        }

        if (input is not null)
        {
            await child.WriteInputAsync(input, cancellationToken);
        }

        child.CloseInput();
        var exitCode = await child.WaitAsync(null, cancellationToken);
        var (output, stdout, _) = child.Log.Text();
        return new GitResult(exitCode, stdout, output);
    }
}
