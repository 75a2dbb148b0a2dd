using System.Text.Json;

namespace SandboxGrains.Silo.Forwarding;

/// <summary>
/// A sandbox daemon's own refusal to reach an app for a preview (its answer carries <see cref="DaemonProtocol.ErrorHeader"/>):
/// its code, and the <c>message</c> of its JSON body when readable.
/// </summary>
internal sealed record DaemonRefusal(string Code, string? Message)
{
    /// <summary>Reads the refusal's body: a few hundred bytes of JSON.</summary>
    public static async Task<DaemonRefusal> ReadAsync(string code, Stream body, CancellationToken cancellationToken)
    {
        try
        {
            using var json = await JsonDocument.ParseAsync(body, cancellationToken: cancellationToken);
            return new DaemonRefusal(code, json.RootElement.TryGetProperty("message", out var message) ? message.GetString() : null);
        }
        catch (Exception e) when (e is JsonException or IOException or HttpRequestException)
        {
            return new DaemonRefusal(code, null);
        }
    }
}
