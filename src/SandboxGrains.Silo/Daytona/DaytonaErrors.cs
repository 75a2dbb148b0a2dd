using Microsoft.AspNetCore.WebUtilities;

namespace SandboxGrains.Silo.Daytona;

/// <summary>
/// Errors on the Daytona routes, in the body Daytona's API answers (<c>{statusCode, error, message, path, timestamp}</c>,
/// plus our stable <c>code</c>): the SDK picks its error class by status (404 → <c>DaytonaNotFoundError</c>) and shows
/// <c>message</c>. The routes themselves answer our usual problems; this filter, outermost on the group, rewrites every
/// problem (a bad key, a failed grain call, a bad field) into that body, so no error is worded twice.
/// </summary>
internal sealed class DaytonaErrorFilter : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var result = await next(context);
        return result is ProblemHttpResult problem
            ? DaytonaErrors.Create(
                context.HttpContext,
                problem.StatusCode,
                problem.ProblemDetails.Detail ?? problem.ProblemDetails.Title ?? "request failed",
                problem.ProblemDetails.Extensions.TryGetValue("code", out var code) ? code as string : null)
            : result;
    }
}

/// <summary>Daytona-shaped error answers.</summary>
internal static class DaytonaErrors
{
    public static JsonHttpResult<DaytonaError> Create(HttpContext context, int status, string message, string? code = null) =>
        TypedResults.Json(
            new DaytonaError(status, ReasonPhrases.GetReasonPhrase(status), message, context.Request.Path.Value ?? "", DateTimeOffset.UtcNow, code),
            statusCode: status);

    /// <summary>An SDK call this server does not serve: a 501 that says so, never a 404 that reads like a missing sandbox.</summary>
    public static JsonHttpResult<DaytonaError> NotSupported(HttpContext context, string what) => Create(
        context,
        StatusCodes.Status501NotImplemented,
        $"{what} is not supported by SandboxGrains",
        "not_supported");
}

/// <summary>Daytona's error body; <c>code</c> is ours (the SDK exposes it as the error's <c>code</c>).</summary>
internal sealed record DaytonaError(int StatusCode, string Error, string Message, string Path, DateTimeOffset Timestamp, string? Code);
