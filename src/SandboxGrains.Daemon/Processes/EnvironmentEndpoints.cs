using SandboxGrains.Daemon.Http;

namespace SandboxGrains.Daemon.Processes;

/// <summary>
/// <c>POST /env</c> (<c>sandbox.updateEnv</c>): sets and unsets variables for every process started from now on —
/// commands, sessions, code runs, git, pseudo-terminals; running ones keep theirs.
/// </summary>
internal static class EnvironmentEndpoints
{
    public static void MapEnvironmentEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/env", async (HttpContext context, ProcessLauncher launcher) =>
        {
            var request = await Query.BodyAsync(context.Request, DaemonJson.Default.UpdateEnvRequest);
            launcher.Environment.Update(request.Set, request.Unset, request.UnsetValuePrefix);
            return TypedResults.NoContent();
        });
    }
}
