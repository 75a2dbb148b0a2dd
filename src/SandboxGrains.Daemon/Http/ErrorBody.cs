namespace SandboxGrains.Daemon.Http;

/// <summary>Daytona's daemon error shape: <c>{statusCode, message, code, timestamp, path, method}</c>.</summary>
internal sealed record ErrorBody(int StatusCode, string Message, string Code, DateTimeOffset Timestamp, string Path, string Method);
