using System.Net.WebSockets;
using System.Text;

namespace SandboxGrains.Testing;

/// <summary>
/// Reads a command's followed logs the way Daytona's SDK does: every frame starts with a three-byte marker naming the
/// stream (<c>01 01 01</c> stdout, <c>02 02 02</c> stderr) and the server closes normally when the command ends.
/// </summary>
public static class DaytonaLogStream
{
    /// <summary>Reads frames until the server closes; returns both streams and how the socket was closed.</summary>
    public static async Task<(string Stdout, string Stderr, WebSocketCloseStatus? CloseStatus)> ReadToEndAsync(
        WebSocket socket, CancellationToken cancellationToken)
    {
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        StringBuilder? current = null;
        var buffer = new byte[4096];
        while (true)
        {
            var received = await socket.ReceiveAsync(buffer, cancellationToken).ConfigureAwait(false);
            if (received.MessageType == WebSocketMessageType.Close)
            {
                return (stdout.ToString(), stderr.ToString(), socket.CloseStatus);
            }

            for (var index = 0; index < received.Count;)
            {
                if (index + 3 <= received.Count && buffer[index] is 1 or 2 && buffer[index + 1] == buffer[index] && buffer[index + 2] == buffer[index])
                {
                    current = buffer[index] == 1 ? stdout : stderr;
                    index += 3;
                    continue;
                }

                current?.Append((char)buffer[index]);
                index++;
            }
        }
    }
}
