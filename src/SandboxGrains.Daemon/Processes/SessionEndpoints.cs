using System.Net.WebSockets;
using SandboxGrains.Daemon.Http;

namespace SandboxGrains.Daemon.Processes;

/// <summary>The <c>/process/session</c> routes: create, execute (sync and async), status, logs (JSON or followed over a WebSocket), input, list, delete.</summary>
internal static class SessionEndpoints
{
    private static readonly byte[] StdoutMarker = [1, 1, 1];
    private static readonly byte[] StderrMarker = [2, 2, 2];

    public static void MapSessionEndpoints(this IEndpointRouteBuilder app)
    {
        var sessions = app.MapGroup("/process/session");
        sessions.MapPost("", CreateAsync);
        sessions.MapGet("", (SessionStore store) => TypedResults.Json(store.All.Select(Describe).ToList(), DaemonJson.Default.ListSessionDto));
        sessions.MapGet("/{sessionId}", (string sessionId, SessionStore store) => TypedResults.Json(Describe(store.Get(sessionId)), DaemonJson.Default.SessionDto));
        sessions.MapDelete("/{sessionId}", (string sessionId, SessionStore store) => { store.Delete(sessionId); return TypedResults.NoContent(); });
        sessions.MapPost("/{sessionId}/exec", ExecuteAsync);
        sessions.MapGet("/{sessionId}/command/{commandId}", (string sessionId, string commandId, SessionStore store) =>
            TypedResults.Json(Describe(FindCommand(store, sessionId, commandId)), DaemonJson.Default.CommandDto));
        sessions.MapGet("/{sessionId}/command/{commandId}/logs", LogsAsync);
        sessions.MapPost("/{sessionId}/command/{commandId}/input", InputAsync);
        // The image's own command: its logs without knowing the command id.
        sessions.MapGet("/entrypoint/logs", (HttpContext context, SessionStore store) =>
        {
            var command = store.Get(SessionStore.EntrypointSessionId).Commands.LastOrDefault()
                ?? throw DaemonError.NotFound("the entrypoint has no command", "COMMAND_NOT_FOUND");
            return LogsAsync(context, SessionStore.EntrypointSessionId, command.Id, store);
        });
    }

    private static async Task<IResult> CreateAsync(HttpContext context, SessionStore store)
    {
        var request = await Query.BodyAsync(context.Request, DaemonJson.Default.CreateSessionRequest);
        if (string.IsNullOrWhiteSpace(request.SessionId))
        {
            throw DaemonError.BadRequest("'sessionId' is required", "MISSING_SESSION_ID");
        }

        store.Create(request.SessionId);
        return TypedResults.StatusCode(StatusCodes.Status201Created);
    }

    private static async Task<IResult> ExecuteAsync(HttpContext context, string sessionId, SessionStore store)
    {
        var session = store.Get(sessionId);
        var request = await Query.BodyAsync(context.Request, DaemonJson.Default.SessionExecuteRequest);
        if (string.IsNullOrWhiteSpace(request.Command))
        {
            throw DaemonError.BadRequest("'command' is required", "MISSING_COMMAND");
        }

        var command = store.Execute(session, request.Command);
        if (request.RunAsync == true || request.Async == true)
        {
            return TypedResults.Json(new SessionExecuteResponse(command.Id, null, null, null, null),
                DaemonJson.Default.SessionExecuteResponse, statusCode: StatusCodes.Status202Accepted);
        }

        int exitCode;
        try
        {
            exitCode = await command.Process.Completion.WaitAsync(context.RequestAborted);
        }
        catch (OperationCanceledException)
        {
            // The caller gave up waiting; the command keeps running in its session like an async one.
            throw;
        }

        var (output, stdout, stderr) = command.Process.Log.Text();
        return TypedResults.Json(new SessionExecuteResponse(command.Id, output, stdout, stderr, exitCode), DaemonJson.Default.SessionExecuteResponse);
    }

    private static async Task<IResult> LogsAsync(HttpContext context, string sessionId, string commandId, SessionStore store)
    {
        var command = FindCommand(store, sessionId, commandId);
        if (!Query.Flag(context.Request, "follow"))
        {
            var (output, stdout, stderr) = command.Process.Log.Text();
            return TypedResults.Json(new LogsDto(output, stdout, stderr), DaemonJson.Default.LogsDto);
        }

        // Browsers offer the SDK version as a subprotocol and expect it echoed.
        var subprotocol = context.Request.Headers.SecWebSocketProtocol.ToString().Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
        using var socket = await WebSocketHandshake.AcceptAsync(context, subprotocol);
        await FollowAsync(socket, command.Process.Log, context.RequestAborted);
        return TypedResults.Empty;
    }

    /// <summary>Sends everything logged so far, then what arrives, each frame prefixed by its stream marker; closes normally at the end.</summary>
    private static async Task FollowAsync(WebSocket socket, OutputLog log, CancellationToken cancellationToken)
    {
        var closed = WatchForCloseAsync(socket, cancellationToken);
        long position = 0;
        while (socket.State == WebSocketState.Open)
        {
            var (chunks, next, completed, changed) = log.Read(position);
            foreach (var chunk in chunks)
            {
                var frame = new byte[3 + chunk.Data.Length];
                (chunk.IsStderr ? StderrMarker : StdoutMarker).CopyTo(frame, 0);
                chunk.Data.CopyTo(frame, 3);
                await socket.SendAsync(frame, WebSocketMessageType.Binary, endOfMessage: true, cancellationToken);
            }

            position = next;
            if (completed)
            {
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "command exited", cancellationToken);
                break;
            }

            if (await Task.WhenAny(changed, closed) == closed)
            {
                break;
            }
        }
    }

    private static async Task WatchForCloseAsync(WebSocket socket, CancellationToken cancellationToken)
    {
        var buffer = new byte[256];
        try
        {
            while (socket.State == WebSocketState.Open)
            {
                var received = await socket.ReceiveAsync(buffer, cancellationToken);
                if (received.MessageType == WebSocketMessageType.Close)
                {
                    return;
                }
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException)
        {
        }
    }

    private static async Task<IResult> InputAsync(HttpContext context, string sessionId, string commandId, SessionStore store)
    {
        var command = FindCommand(store, sessionId, commandId);
        var request = await Query.BodyAsync(context.Request, DaemonJson.Default.InputRequest);
        if (request.Data is null)
        {
            throw DaemonError.BadRequest("'data' is required", "MISSING_DATA");
        }

        if (command.Process.ExitCode is not null)
        {
            throw DaemonError.Conflict($"command {commandId} has already exited", "COMMAND_EXITED");
        }

        await command.Process.WriteInputAsync(request.Data, context.RequestAborted);
        return TypedResults.Ok();
    }

    private static SessionCommand FindCommand(SessionStore store, string sessionId, string commandId) =>
        store.Get(sessionId).Find(commandId) ?? throw DaemonError.NotFound($"command {commandId} not found in session {sessionId}", "COMMAND_NOT_FOUND");

    private static SessionDto Describe(Session session) => new(session.Id, [.. session.Commands.Select(Describe)]);

    private static CommandDto Describe(SessionCommand command) => new(command.Id, command.Command, command.Process.ExitCode);
}
