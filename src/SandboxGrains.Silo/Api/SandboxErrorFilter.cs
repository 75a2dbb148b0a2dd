namespace SandboxGrains.Silo.Api;

/// <summary>
/// Turns failed grain calls into problems: a <see cref="SandboxException"/> by its code; a cluster that is briefly
/// re-forming (a silo just died) into a retryable 503 with <c>Retry-After</c>, never a 500.
/// </summary>
internal sealed class SandboxErrorFilter : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        try
        {
            return await next(context);
        }
        catch (SandboxException e)
        {
            return WithRetryAfter(context.HttpContext, Problems.From(e));
        }
        catch (Exception e) when (SandboxErrorCodes.IsClusterChurn(e))
        {
            return WithRetryAfter(context.HttpContext, Problems.ServiceUnavailable(
                SandboxErrorCodes.ClusterUnavailable, $"{SandboxErrorCodes.ClusterUnavailableMessage} ({e.GetType().Name})"));
        }
    }

    private static ProblemHttpResult WithRetryAfter(HttpContext context, ProblemHttpResult problem)
    {
        if (problem.StatusCode == StatusCodes.Status503ServiceUnavailable)
        {
            context.Response.Headers.RetryAfter = "1";
        }

        return problem;
    }
}
