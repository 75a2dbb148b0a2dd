using System.Net;

namespace SandboxGrains.Daemon.Http;

/// <summary>A request that cannot be served, with the status and Daytona-style code the client sees.</summary>
internal sealed class DaemonError(int statusCode, string code, string message) : Exception(message)
{
    public int StatusCode { get; } = statusCode;

    public string Code { get; } = code;

    public static DaemonError BadRequest(string message, string code = "BAD_REQUEST") => new(400, code, message);

    public static DaemonError NotFound(string message, string code = "NOT_FOUND") => new(404, code, message);

    public static DaemonError Conflict(string message, string code = "CONFLICT") => new(409, code, message);

    public static DaemonError MissingParameter(string name) => BadRequest($"query parameter '{name}' is required", "MISSING_PARAMETER");

    public static int Status(HttpStatusCode code) => (int)code;
}
