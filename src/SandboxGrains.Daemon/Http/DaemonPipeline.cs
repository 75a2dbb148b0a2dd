using Microsoft.AspNetCore.Http.Features;

namespace SandboxGrains.Daemon.Http;

/// <summary>The two things every request goes through: the daemon-secret check and the error shape.</summary>
internal static class DaemonPipeline
{
    public static void UseDaemonPipeline(this WebApplication app, DaemonOptions options)
    {
        app.Use(async (context, next) =>
        {
            try
            {
                if (!options.Secret.Matches(context.Request.Headers[DaemonProtocol.SecretHeader].ToString()))
                {
                    throw new DaemonError(401, DaemonProtocol.Errors.Unauthorized, $"missing or wrong {DaemonProtocol.SecretHeader}");
                }

                // The secret is for us alone: nothing we forward (proxy) or run may see it.
                context.Request.Headers.Remove(DaemonProtocol.SecretHeader);
                await next(context);
            }
            catch (DaemonError e)
            {
                await WriteErrorAsync(context, e.StatusCode, e.Code, e.Message);
            }
            catch (BadHttpRequestException e)
            {
                var tooLarge = e.StatusCode == StatusCodes.Status413PayloadTooLarge;
                await WriteErrorAsync(context, e.StatusCode, tooLarge ? "PAYLOAD_TOO_LARGE" : "BAD_REQUEST",
                    tooLarge ? $"request body is larger than the limit of {options.MaxBodyBytes / (1024 * 1024)} MB" : e.Message);
            }
            catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
            {
                // The client went away; there is nobody to answer.
            }
            catch (IOException) when (context.RequestAborted.IsCancellationRequested)
            {
            }
        });
    }

    public static async Task WriteErrorAsync(HttpContext context, int status, string code, string message)
    {
        if (context.Response.HasStarted)
        {
            context.Abort();
            return;
        }

        context.Response.Clear();
        context.Response.StatusCode = status;

        // Marks the answer as the daemon's own, so a front end can tell it from an app's error passed through /proxy.
        context.Response.Headers[DaemonProtocol.ErrorHeader] = code;
        var body = new ErrorBody(status, message, code, DateTimeOffset.UtcNow, context.Request.Path, context.Request.Method);
        await context.Response.WriteAsJsonAsync(body, DaemonJson.Default.ErrorBody);
    }

    /// <summary>Lifts Kestrel's body limit for one request (uploads are bounded by our own limit instead).</summary>
    public static void SetBodyLimit(HttpContext context, long limit)
    {
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
        {
            feature.MaxRequestBodySize = limit;
        }
    }
}
