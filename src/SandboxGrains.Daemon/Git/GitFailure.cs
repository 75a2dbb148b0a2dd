using SandboxGrains.Daemon.Http;

namespace SandboxGrains.Daemon.Git;

/// <summary>
/// Turns a failed git run into the status and code Daytona's daemon gives the same failure, read from git's own words,
/// so Daytona's SDK raises its matching class (<c>DaytonaGitAuthFailedError</c>, <c>DaytonaGitBranchExistsError</c>, …).
/// The message keeps the end of git's output, with any credential the caller sent blanked out.
/// </summary>
internal static class GitFailure
{
    /// <summary>Most of git's output an error message carries (its last lines say what went wrong).</summary>
    private const int OutputTail = 2000;

    // Checked in order: the first whose phrases git's output contains decides.
    private static readonly (int Status, string Code, string[] Phrases)[] Kinds =
    [
        (404, "GIT_REPO_NOT_FOUND", ["not a git repository", "repository not found", "does not appear to be a git repository", "returned error: 404"]),
        (401, "GIT_AUTH_FAILED", ["authentication failed", "invalid username or password", "could not read username", "could not read password", "terminal prompts disabled"]),
        (403, "GIT_ACCESS_DENIED", ["returned error: 403", "permission to", "permission denied (publickey"]),
        (409, "GIT_BRANCH_EXISTS", ["a branch named"]),
        (404, "GIT_BRANCH_NOT_FOUND", ["did not match any file(s) known to git", "src refspec", "not found in upstream", "couldn't find remote ref", "unknown revision", "invalid reference", "error: branch '"]),
        (409, "GIT_DIRTY_WORKTREE", ["would be overwritten", "please commit your changes or stash them"]),
        (409, "GIT_MERGE_CONFLICT", ["automatic merge failed", "conflict (", "not possible to fast-forward", "needs merge"]),
        (409, "GIT_PUSH_REJECTED", ["non-fast-forward", "fetch first", "updates were rejected", "stale info"]),
        (422, "GIT_REMOTE_REJECTED", ["[remote rejected]", "hook declined"]),
        (502, "GIT_TRANSPORT_FAILED", ["could not resolve host", "failed to connect", "connection refused", "connection timed out", "unable to access"]),
        (409, "GIT_DESTINATION_EXISTS", ["already exists and is not an empty directory"]),
    ];

    /// <summary>The error for a git run that ended with <paramref name="exitCode"/>; <paramref name="password"/> never shows in it.</summary>
    public static DaemonError From(string operation, int exitCode, string output, string? password)
    {
        if (!string.IsNullOrEmpty(password))
        {
            output = output.Replace(password, "***", StringComparison.Ordinal);
        }

        output = output.Trim();
        if (output.Length > OutputTail)
        {
            output = "…" + output[^OutputTail..];
        }

        var (status, code) = Classify(output);
        return new DaemonError(status, code, $"git {operation} failed (exit code {exitCode}): {output}");
    }

    private static (int Status, string Code) Classify(string output)
    {
        foreach (var (status, code, phrases) in Kinds)
        {
            if (phrases.Any(p => output.Contains(p, StringComparison.OrdinalIgnoreCase)))
            {
                return (status, code);
            }
        }

        return (400, "GIT_FAILED");
    }
}
