using SandboxGrains.Daemon.Http;
using SandboxGrains.Daemon.Processes;

namespace SandboxGrains.Daemon.CodeRun;

/// <summary>
/// <c>POST /process/code-run</c> (<c>process.codeRun</c>): a piece of code run once by its language's interpreter, with
/// <c>argv</c> and <c>envs</c>; combined output and exit code as <c>/process/execute</c> answers them, 408 on a timeout.
/// </summary>
internal static class CodeRunEndpoints
{
    public static void MapCodeRunEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/process/code-run", RunAsync);
    }

    private static async Task<IResult> RunAsync(HttpContext context, ProcessLauncher launcher)
    {
        var request = await Query.BodyAsync(context.Request, DaemonJson.Default.CodeRunRequest);
        if (request.Code is null)
        {
            throw DaemonError.BadRequest("'code' is required", "MISSING_CODE");
        }

        ChildProcess.CheckTimeout(request.Timeout);
        var path = launcher.Environment.For(request.Envs).GetValueOrDefault("PATH");
        var interpreter = CodeInterpreter.For(request.Language, request.Argv ?? [], path);
        try
        {
            if (interpreter.SourceFile is { } file)
            {
                await File.WriteAllTextAsync(file, request.Code, context.RequestAborted);
            }

            ChildProcess child;
            try
            {
                child = launcher.Start(interpreter.Program, interpreter.Arguments, null, request.Envs, new OutputLog());
            }
            catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
            {
                // As for /process/execute: a spawn failure is 200 with exit code -1.
                return TypedResults.Json(new CodeRunResponse(-1, e.Message), DaemonJson.Default.CodeRunResponse);
            }

            if (interpreter.SourceFile is null)
            {
                await WriteCodeAsync(child, request.Code, context.RequestAborted);
            }
            else
            {
                child.CloseInput();
            }

            var exitCode = await child.WaitAsync(request.Timeout, context.RequestAborted);
            return TypedResults.Json(new CodeRunResponse(exitCode, child.Log.Text().Output), DaemonJson.Default.CodeRunResponse);
        }
        finally
        {
            if (interpreter.SourceFile is { } file)
            {
                File.Delete(file);
            }
        }
    }

    /// <summary>Hands the code to the interpreter's standard input and closes it, so the interpreter starts running it.</summary>
    private static async Task WriteCodeAsync(ChildProcess child, string code, CancellationToken cancellationToken)
    {
        try
        {
            await child.WriteInputAsync(code, cancellationToken);
            child.CloseInput();
        }
        catch (IOException)
        {
            // The interpreter exited before reading all of it (a bad option, a crash): its output and exit code say why.
        }
    }
}
