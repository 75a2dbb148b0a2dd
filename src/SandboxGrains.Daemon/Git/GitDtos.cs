using System.Text.Json.Serialization;

namespace SandboxGrains.Daemon.Git;

// The wire shapes of Daytona's /git routes (toolbox API client 0.218). Several request fields are snake_case there.

internal sealed record GitCloneRequest(
    string? Url,
    string? Path,
    string? Branch,
    [property: JsonPropertyName("commit_id")] string? CommitId,
    string? Username,
    string? Password,
    [property: JsonPropertyName("insecure_skip_tls")] bool? InsecureSkipTls,
    int? Depth);

internal sealed record GitFilesRequest(string? Path, List<string>? Files);

internal sealed record GitCommitRequest(
    string? Path,
    string? Message,
    string? Author,
    string? Email,
    [property: JsonPropertyName("allow_empty")] bool? AllowEmpty);

internal sealed record GitCommitResponse(string Hash);

internal sealed record GitBranchRequest(string? Path, string? Name);

internal sealed record GitCheckoutRequest(string? Path, string? Branch);

internal sealed record GitBranchesResponse(List<string> Branches, string? Current);

internal sealed record GitRemoteSyncRequest(
    string? Path,
    string? Username,
    string? Password,
    string? Branch,
    string? Remote,
    [property: JsonPropertyName("set_upstream")] bool? SetUpstream);

internal sealed record GitInitRequest(string? Path, bool? Bare, [property: JsonPropertyName("initial_branch")] string? InitialBranch);

internal sealed record GitResetRequest(string? Path, string? Mode, string? Target, List<string>? Files);

internal sealed record GitRestoreRequest(string? Path, List<string>? Files, bool? Staged, bool? Worktree, string? Source);

internal sealed record GitAddRemoteRequest(string? Path, string? Name, string? Url, bool? Fetch, bool? Overwrite);

internal sealed record GitRemote(string Name, string Url);

internal sealed record GitRemotesResponse(List<GitRemote> Remotes);

internal sealed record GitSetConfigRequest(string? Key, string? Value, string? Scope, string? Path);

internal sealed record GitConfigResponse(string? Value);

internal sealed record GitConfigureUserRequest(string? Name, string? Email, string? Scope, string? Path);

internal sealed record GitCredentialsRequest(string? Username, string? Password, string? Host, string? Protocol);

internal sealed record GitFileStatus(string Name, string Staging, string Worktree, string Extra);

internal sealed record GitStatusResponse(
    string CurrentBranch,
    List<GitFileStatus> FileStatus,
    int Ahead,
    int Behind,
    bool BranchPublished,
    string? Upstream,
    bool Detached);

internal sealed record GitCommitInfo(string Hash, string Author, string Email, string Message, string Timestamp);
