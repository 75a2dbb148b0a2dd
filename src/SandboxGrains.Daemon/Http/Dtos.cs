namespace SandboxGrains.Daemon.Http;

// The daemon's wire shapes, named and shaped as Daytona's daemon has them (see daytona-contract.md §5-§8).

internal sealed record VersionDto(string Version);

internal sealed record DirDto(string Dir);

internal sealed record ExecuteRequest(string? Command, string? Cwd, Dictionary<string, string>? Envs, int? Timeout);

internal sealed record ExecuteResponse(int ExitCode, string Result);

internal sealed record CodeRunRequest(string? Code, string? Language, List<string>? Argv, Dictionary<string, string>? Envs, int? Timeout);

internal sealed record CodeRunResponse(int ExitCode, string Result);

internal sealed record CreateSessionRequest(string? SessionId);

internal sealed record SessionExecuteRequest(string? Command, bool? RunAsync, bool? Async, bool? SuppressInputEcho);

internal sealed record SessionExecuteResponse(string CmdId, string? Output, string? Stdout, string? Stderr, int? ExitCode);

internal sealed record CommandDto(string Id, string Command, int? ExitCode);

internal sealed record SessionDto(string SessionId, List<CommandDto> Commands);

internal sealed record LogsDto(string Output, string Stdout, string Stderr);

internal sealed record InputRequest(string? Data);

internal sealed record FileInfoDto(
    string Name,
    long Size,
    string Mode,
    string ModTime,
    string ModifiedAt,
    bool IsDir,
    string Owner,
    string Group,
    string Permissions,
    string Path);

internal sealed record FindMatch(string File, int Line, string Content);

internal sealed record SearchResult(List<string> Files);

internal sealed record ReplaceRequest(List<string>? Files, string? Pattern, string? NewValue);

internal sealed record ReplaceResult(string File, bool Success, string? Error);

internal sealed record BulkDownloadRequest(List<string>? Paths);

internal sealed record UploadedFile(string Path, long Bytes);

internal sealed record UploadResult(List<UploadedFile> Files);

internal sealed record PortsDto(List<int> Ports);

internal sealed record PortInUseDto(bool IsInUse);

internal sealed record UpdateEnvRequest(Dictionary<string, string>? Set, List<string>? Unset, string? UnsetValuePrefix);

/// <summary>The part of the claim file (<see cref="DaemonProtocol.ClaimFileName"/>) the daemon uses.</summary>
internal sealed record ClaimDto(Dictionary<string, string>? Env);
