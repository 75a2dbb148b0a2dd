using Microsoft.AspNetCore.Http.HttpResults;

namespace SandboxGrains.Silo.Api;

/// <summary>
/// Every error the API returns: <c>application/problem+json</c> with a stable <c>code</c> clients can switch on.
/// One place, so codes and wording stay consistent.
/// </summary>
internal static class Problems
{
    public static ProblemHttpResult Create(int status, string code, string title, string? detail = null, IDictionary<string, object?>? extra = null)
    {
        var extensions = new Dictionary<string, object?> { ["code"] = code };
        if (extra is not null)
        {
            foreach (var (key, value) in extra)
            {
                extensions[key] = value;
            }
        }

        return TypedResults.Problem(detail: detail, statusCode: status, title: title, extensions: extensions);
    }

    public static ProblemHttpResult Unauthorized() => Create(
        StatusCodes.Status401Unauthorized,
        "unauthorized",
        "Missing or invalid API key",
        "Send the API key as 'Authorization: Bearer <key>' or 'X-API-Key: <key>'.");

    public static ProblemHttpResult NotFound(string code, string detail) =>
        Create(StatusCodes.Status404NotFound, code, "Not found", detail);

    public static ProblemHttpResult ServiceUnavailable(string code, string detail) =>
        Create(StatusCodes.Status503ServiceUnavailable, code, "Service unavailable", detail);

    public static ProblemHttpResult InvalidField(string field, string message) => Create(
        StatusCodes.Status400BadRequest,
        SandboxErrorCodes.InvalidRequest,
        "Invalid request",
        $"{field}: {message}",
        new Dictionary<string, object?> { ["field"] = field });

    public static ProblemHttpResult InvalidBody(string detail) =>
        Create(StatusCodes.Status400BadRequest, SandboxErrorCodes.InvalidRequest, "Invalid request", detail);

    /// <summary>A failed sandbox operation, with the status its code stands for.</summary>
    public static ProblemHttpResult From(SandboxException e)
    {
        var status = SandboxErrorCodes.HttpStatus(e.Code);
        var title = status switch
        {
            StatusCodes.Status400BadRequest => "Invalid request",
            StatusCodes.Status404NotFound => "Not found",
            StatusCodes.Status409Conflict => "Conflict",
            StatusCodes.Status503ServiceUnavailable => "Service unavailable",
            _ => "Sandbox operation failed",
        };
        return Create(status, e.Code, title, e.Message);
    }
}
