namespace SandboxGrains.Silo.Api;

/// <summary>Rejects requests without a valid API key (<c>Authorization: Bearer</c> or <c>X-API-Key</c>) with a 401 problem.</summary>
internal sealed class ApiKeyFilter(ApiKeyStore keys) : IEndpointFilter
{
    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next) =>
        HasValidKey(context.HttpContext.Request, keys)
            ? next(context)
            : ValueTask.FromResult<object?>(Problems.Unauthorized());

    /// <summary>
    /// True when the request carries an accepted key in either header, or needs none: seed 002's <c>security.enabled:
    /// false</c>, for a request that arrived on loopback (start-up refuses that setting with any other listener, and the
    /// connection's own address is checked too, so a listener added later does not open the API).
    /// </summary>
    public static bool HasValidKey(HttpRequest request, ApiKeyStore keys)
    {
        if (keys.OptionalOnLoopback && request.HttpContext.Connection.LocalIpAddress is { } local && System.Net.IPAddress.IsLoopback(local))
        {
            return true;
        }

        var authorization = request.Headers.Authorization.ToString();
        if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
            && keys.IsValid(authorization.AsSpan("Bearer ".Length).Trim()))
        {
            return true;
        }

        return keys.IsValid(request.Headers["X-API-Key"].ToString().AsSpan().Trim());
    }
}

/// <summary>Puts API-key checking on a route group.</summary>
internal static class ApiKeyFilterExtensions
{
    public static RouteGroupBuilder RequireApiKey(this RouteGroupBuilder group)
    {
        group.AddEndpointFilter<ApiKeyFilter>();
        return group;
    }
}
