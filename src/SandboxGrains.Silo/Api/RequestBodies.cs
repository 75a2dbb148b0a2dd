using System.Text.Json;

namespace SandboxGrains.Silo.Api;

/// <summary>JSON request bodies, read the same way by every route that takes one.</summary>
internal static class RequestBodies
{
    /// <summary>Reads a JSON body, answering a missing or malformed one with a 400 that says which.</summary>
    public static async Task<(T? Body, IResult? Problem)> ReadAsync<T>(HttpContext context) where T : class
    {
        if (context.Request.ContentLength == 0 || !context.Request.HasJsonContentType())
        {
            return (null, Problems.InvalidBody("a JSON body is required (Content-Type: application/json)"));
        }

        try
        {
            var body = await context.Request.ReadFromJsonAsync<T>(context.RequestAborted);
            return body is null ? (null, Problems.InvalidBody("a JSON object is required, not null")) : (body, null);
        }
        catch (JsonException e)
        {
            return (null, Problems.InvalidBody($"the body is not valid JSON for this request: {e.Message}"));
        }
    }
}
