using Orleans.Runtime;

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
        catch (Exception e) when (IsTransient(e))
        {
            return WithRetryAfter(context.HttpContext, Problems.ServiceUnavailable(
                "cluster_unavailable", $"the cluster is re-forming after a silo change; retry shortly ({e.GetType().Name})"));
        }
    }

    /// <summary>Failures that go away once membership settles.</summary>
    public static bool IsTransient(Exception e) =>
        e is SiloUnavailableException or OrleansMessageRejectionException or TimeoutException
            or Orleans.Runtime.Messaging.ConnectionFailedException;

    private static ProblemHttpResult WithRetryAfter(HttpContext context, ProblemHttpResult problem)
    {
        if (problem.StatusCode == StatusCodes.Status503ServiceUnavailable)
        {
            context.Response.Headers.RetryAfter = "1";
        }

        return problem;
    }
}
