namespace SandboxGrains.Daemon.Http;

/// <summary>Reading query parameters with clear errors.</summary>
internal static class Query
{
    public static string Required(HttpRequest request, string name) =>
        request.Query[name].ToString() is { Length: > 0 } value ? value : throw DaemonError.MissingParameter(name);

    public static string? Optional(HttpRequest request, string name) =>
        request.Query[name].ToString() is { Length: > 0 } value ? value : null;

    public static bool Flag(HttpRequest request, string name) =>
        request.Query[name].ToString() is { Length: > 0 } value
        && (value.Equals("true", StringComparison.OrdinalIgnoreCase) || value == "1");

    /// <summary>Reads a JSON body into <typeparamref name="T"/>, answering 400 for a missing or malformed one.</summary>
    public static async Task<T> BodyAsync<T>(HttpRequest request, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type)
        where T : class
    {
        try
        {
            return await request.ReadFromJsonAsync(type, request.HttpContext.RequestAborted)
                ?? throw DaemonError.BadRequest("a JSON body is required");
        }
        catch (System.Text.Json.JsonException e)
        {
            throw DaemonError.BadRequest($"malformed JSON body: {e.Message}", "INVALID_BODY");
        }
        catch (InvalidOperationException e) when (!request.HasJsonContentType())
        {
            throw DaemonError.BadRequest($"expected a JSON body (Content-Type: application/json): {e.Message}", "INVALID_BODY");
        }
    }
}
