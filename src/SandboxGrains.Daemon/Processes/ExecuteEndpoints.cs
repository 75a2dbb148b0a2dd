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

        if (request.Timeout is < 0)
        {
            throw DaemonError.BadRequest("'timeout' must be 0 (no limit) or a positive number of seconds", "INVALID_TIMEOUT");
        }

        var cwd = request.Cwd is { Length: > 0 } given ? Path.GetFullPath(given, launcher.Options.WorkDir) : launcher.Options.WorkDir;
        if (!Directory.Exists(cwd))
        {
            throw DaemonError.BadRequest($"cwd {cwd} does not exist or is not a directory", "INVALID_CWD");
        }

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

        using var limit = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        if (request.Timeout is > 0)
        {
            limit.CancelAfter(TimeSpan.FromSeconds(request.Timeout.Value));
        }

        try
        {
            var exitCode = await child.Completion.WaitAsync(limit.Token);
            return TypedResults.Json(new ExecuteResponse(exitCode, child.Log.Text().Output), DaemonJson.Default.ExecuteResponse);
        }
        catch (OperationCanceledException)
        {
            child.KillTree();
            if (context.RequestAborted.IsCancellationRequested)
            {
                throw;
            }

            throw new DaemonError(408, "PROCESS_EXECUTION_TIMEOUT", "command execution timeout");
        }
    }
}
