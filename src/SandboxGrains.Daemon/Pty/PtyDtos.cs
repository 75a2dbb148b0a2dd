namespace SandboxGrains.Daemon.Pty;

// The wire shapes of Daytona's /process/pty routes (toolbox API client 0.218).

internal sealed record PtyCreateRequest(string? Id, string? Cwd, Dictionary<string, string>? Envs, int? Cols, int? Rows, bool? LazyStart);

internal sealed record PtyCreateResponse(string SessionId);

internal sealed record PtyResizeRequest(int? Cols, int? Rows);

internal sealed record PtySessionInfo(
    string Id, string Cwd, Dictionary<string, string> Envs, int Cols, int Rows, DateTimeOffset CreatedAt, bool Active, bool LazyStart);

internal sealed record PtyListResponse(List<PtySessionInfo> Sessions);

/// <summary>A control message on a terminal's WebSocket: <c>{type: "control", status: connected|exited|error, …}</c>.</summary>
internal sealed record PtyControlMessage(string Type, string Status, string? Error = null, int? ExitCode = null, string? ExitReason = null);

/// <summary>The close reason a terminal's WebSocket ends with: the program's exit code and, unless 0, why.</summary>
internal sealed record PtyExitReason(int ExitCode, string? ExitReason);
