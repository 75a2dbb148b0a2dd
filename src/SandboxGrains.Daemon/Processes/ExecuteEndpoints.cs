using SandboxGrains.Daemon.Http;

namespace SandboxGrains.Daemon.Processes;

/// <summary><c>POST /process/execute</c>: a shell script, its combined output and exit code; a timeout kills it (408).</summary>
internal static class ExecuteEndpoints
{
    public static void MapExecuteEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/process/execute", ExecuteAsync);
    }

    private static async Task<IResult> ExecuteAsync(HttpContext context, ProcessLauncher launcher)
    {
        var request = await Query.BodyAsync(context.Request, DaemonJson.Default.ExecuteRequest);
        if (string.IsNullOrWhiteSpace(request.Command))
        {
            throw DaemonError.BadRequest("'command' is required", "MISSING_COMMAND");
        }

        ChildProcess.CheckTimeout(request.Timeout);
        var cwd = WorkingDirectory.Resolve(request.Cwd, launcher.Options);
        if (ProcessLauncher.Shell is not { } shell)
        {
            return TypedResults.Json(new ExecuteResponse(-1, "no shell (/bin/sh) in this sandbox"), DaemonJson.Default.ExecuteResponse);
        }

        ChildProcess child;
        try
        {
            child = launcher.Start(shell, ["-c", request.Command], cwd, request.Envs, new OutputLog());
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            // Daytona answers a spawn failure with 200 and exit code -1.
            return TypedResults.Json(new ExecuteResponse(-1, e.Message), DaemonJson.Default.ExecuteResponse);
        }

        var exitCode = await child.WaitAsync(request.Timeout, context.RequestAborted);
        return TypedResults.Json(new ExecuteResponse(exitCode, child.Log.Text().Output), DaemonJson.Default.ExecuteResponse);
    }
}
