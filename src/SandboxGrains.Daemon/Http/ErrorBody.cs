namespace SandboxGrains.Daemon.Http;

/// <summary>
/// Daytona's daemon error shape: <c>{statusCode, message, code, timestamp, path, method, source}</c>. <c>source</c>
/// (always <c>DAYTONA_DAEMON</c>) tells Daytona's SDK the error is the daemon's, so it picks its finer error class by
/// <c>code</c> (<c>FILE_NOT_FOUND</c> → <c>DaytonaFileNotFoundError</c>, <c>GIT_BRANCH_EXISTS</c> → <c>DaytonaGitBranchExistsError</c>).
/// </summary>
internal sealed record ErrorBody(int StatusCode, string Message, string Code, DateTimeOffset Timestamp, string Path, string Method, string Source = "DAYTONA_DAEMON");
