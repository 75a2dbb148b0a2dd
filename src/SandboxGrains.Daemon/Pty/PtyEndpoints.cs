using SandboxGrains.Daemon.Http;

namespace SandboxGrains.Daemon.Pty;

/// <summary>
/// The <c>/process/pty</c> routes (<c>sandbox.process.createPty</c> and friends): create, the WebSocket to attach
/// (<c>/{id}/connect</c>, or <c>/create-connect</c> doing both in one round trip as SDK 0.218 does), resize, info,
/// list and kill.
/// </summary>
internal static class PtyEndpoints
{
    public static void MapPtyEndpoints(this IEndpointRouteBuilder app)
    {
        var pty = app.MapGroup("/process/pty");
        pty.MapPost("", async (HttpContext context, PtyStore store) =>
        {
            var request = await Query.BodyAsync(context.Request, DaemonJson.Default.PtyCreateRequest);
            var session = store.Create(request.Id, request.Cwd, request.Envs, request.Cols, request.Rows, request.LazyStart == true);
            return TypedResults.Json(new PtyCreateResponse(session.Id), DaemonJson.Default.PtyCreateResponse, statusCode: StatusCodes.Status201Created);
        });
        pty.MapGet("", (PtyStore store) => TypedResults.Json(new PtyListResponse([.. store.All.Select(s => s.Info())]), DaemonJson.Default.PtyListResponse));
        pty.MapGet("/create-connect", CreateConnectAsync);
        pty.MapGet("/{sessionId}", (string sessionId, PtyStore store) => TypedResults.Json(store.Get(sessionId).Info(), DaemonJson.Default.PtySessionInfo));
        pty.MapDelete("/{sessionId}", KillAsync);
        pty.MapPost("/{sessionId}/resize", async (HttpContext context, string sessionId, PtyStore store) =>
        {
            var session = store.Get(sessionId);
            var request = await Query.BodyAsync(context.Request, DaemonJson.Default.PtyResizeRequest);
            if (request.Cols is null || request.Rows is null)
            {
                throw DaemonError.BadRequest("'cols' and 'rows' are required", "INVALID_SIZE");
            }

            var info = session.Resize(PtyStore.Size(request.Cols, 0, "cols"), PtyStore.Size(request.Rows, 0, "rows"));
            return TypedResults.Json(info, DaemonJson.Default.PtySessionInfo);
        });
        pty.MapGet("/{sessionId}/connect", async (HttpContext context, string sessionId, PtyStore store) =>
        {
            PtySession? session = null;
            string? refusal = null;
            try
            {
                session = store.Get(sessionId);
                store.Start(session);
            }
            catch (DaemonError e)
            {
                // Daytona answers on the WebSocket itself, so the SDK's handle reports the reason.
                refusal = $"Failed to connect to PTY session: {e.Message}";
                session = null;
            }

            await PtyConnection.ServeAsync(context, session, refusal);
        });
    }

    private static async Task CreateConnectAsync(HttpContext context, PtyStore store)
    {
        var offered = PtyConnection.Offered(context);
        PtySession? session = null;
        string? refusal = null;
        try
        {
            session = store.Create(
                Query.Required(context.Request, "id"), Query.Optional(context.Request, "cwd"), PtyConnection.Envs(offered),
                Number(context, "cols"), Number(context, "rows"), lazyStart: false);
        }
        catch (DaemonError e)
        {
            refusal = $"Failed to create PTY session: {e.Message}";
        }

        await PtyConnection.ServeAsync(context, session, refusal);
    }

    private static async Task<IResult> KillAsync(string sessionId, PtyStore store, CancellationToken cancellationToken)
    {
        var session = store.Get(sessionId);
        session.Kill();
        // Answer once it is gone, so a list right after no longer shows it.
        await Task.WhenAny(session.Exited, Task.Delay(TimeSpan.FromSeconds(5), cancellationToken));
        return TypedResults.NoContent();
    }

    private static int? Number(HttpContext context, string name) => Query.Optional(context.Request, name) switch
    {
        null => null,
        var text when int.TryParse(text, out var value) => value,
        var text => throw DaemonError.BadRequest($"'{name}' must be a number, not '{text}'", "INVALID_SIZE"),
    };
}
