namespace SandboxGrains.Silo.Api;

/// <summary>
/// What a route tells the OpenAPI document beyond its shape: a summary, and every problem code it can answer (named in
/// one place with the route, so the document and the handler are read side by side). <see cref="OpenApiDocument"/>
/// turns the codes into one response per status whose description lists them.
/// </summary>
internal static class ApiDescriptions
{
    /// <summary>The problem codes a route can answer besides those every <c>/api/v1</c> route can (401, 503 while the cluster re-forms).</summary>
    internal sealed record ProblemCodes(IReadOnlyList<string> Codes);

    public static RouteHandlerBuilder Answers(this RouteHandlerBuilder route, params string[] codes)
    {
        route.WithMetadata(new ProblemCodes(codes));
        foreach (var status in codes.Select(SandboxErrorCodes.HttpStatus).Distinct())
        {
            route.ProducesProblem(status);
        }

        return route;
    }

    /// <summary>A JSON request body of <typeparamref name="T"/> (our handlers read bodies themselves, to answer a bad one as a problem).</summary>
    public static RouteHandlerBuilder Takes<T>(this RouteHandlerBuilder route) where T : notnull =>
        route.Accepts<T>("application/json").Answers(SandboxErrorCodes.InvalidRequest);
}
