using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using SandboxGrains.Silo.Api;
using SandboxGrains.Silo.Forwarding;
using SandboxGrains.Silo.Toolbox;

namespace SandboxGrains.Silo.Daytona;

/// <summary>
/// Daytona's signed file URLs (<c>sandbox.downloadUrl</c>, <c>uploadUrl</c>): the SDK fetches the sandbox's signing key
/// once (<c>GET /sandbox/{id}/signing-key</c>) and signs <c>{toolbox}/{id}/files/download|upload-v2?path&amp;expires&amp;signature</c>
/// itself, so the link works with no API key. The key is derived from the sandbox's daemon secret (stable across stop
/// and start; a restore from an archive changes it), so nothing new is stored. Those two toolbox paths are served here,
/// ahead of the toolbox's catch-all: with a valid signature, or the API key as anywhere in the toolbox.
/// </summary>
internal static class DaytonaSignedFiles
{
    public static RouteGroupBuilder MapDaytonaSigningKey(this RouteGroupBuilder api)
    {
        api.MapGet("/sandbox/{idOrName}/signing-key", async (IGrainFactory grains, string idOrName, CancellationToken cancellationToken) =>
        {
            var sandbox = await DaytonaSandboxesApi.ResolveAsync(grains, idOrName);
            var secret = (await sandbox.GetDaemonEndpointAsync(cancellationToken)).Token
                ?? throw new SandboxException(SandboxErrorCodes.InvalidState, $"sandbox {idOrName} has no signing key until it is created");
            return TypedResults.Ok(SigningKey(secret));
        });
        return api;
    }

    public static IEndpointRouteBuilder MapDaytonaSignedFiles(this IEndpointRouteBuilder app)
    {
        // Answers as the toolbox's own: a signed link is opened by any HTTP client, and key holders keep the toolbox's errors.
        var files = app.MapGroup("/toolbox/{id}/files").AddEndpointFilter<SandboxErrorFilter>().ExcludeFromDescription();
        files.MapGet("/download", (HttpContext context, string id) => ServeAsync(context, id, "GET", "/files/download"));

        // Our daemon's upload takes the same body (the first file part of a multipart form) at /files/upload.
        files.MapPost("/upload-v2", (HttpContext context, string id) => ServeAsync(context, id, "POST", "/files/upload"));
        return app;
    }

    private static async Task<IResult> ServeAsync(HttpContext context, string id, string method, string daemonPath)
    {
        var keys = context.RequestServices.GetRequiredService<ApiKeyStore>();
        if (!ApiKeyFilter.HasValidKey(context.Request, keys) && !await IsSignedAsync(context, id, method))
        {
            return Problems.Create(
                StatusCodes.Status401Unauthorized, "unauthorized", "Missing or invalid signature",
                "this file link is unsigned, its signature does not match, or it expired; ask for a new one (downloadUrl, uploadUrl)");
        }

        var query = context.Request.Query;
        var forwarded = $"{daemonPath}?path={Uri.EscapeDataString(query["path"].ToString())}";
        var toolbox = context.RequestServices.GetRequiredService<ToolboxResolver>();
        var forwarder = context.RequestServices.GetRequiredService<SandboxForwarder>();
        return await forwarder.ForwardAsync(context, await toolbox.ResolveDaemonPathAsync(context, id, forwarded));
    }

    /// <summary>The SDK's v1 signature: <c>v1_</c> + base64url HMAC-SHA256(key, <c>v1:files:{METHOD}:{path}:{expires}</c>), unexpired (0: never).</summary>
    private static async Task<bool> IsSignedAsync(HttpContext context, string id, string method)
    {
        var query = context.Request.Query;
        if (query["signature"].ToString() is not { Length: > 3 } signature || !signature.StartsWith("v1_", StringComparison.Ordinal)
            || !long.TryParse(query["expires"], NumberStyles.None, CultureInfo.InvariantCulture, out var expires)
            || (expires != 0 && DateTimeOffset.FromUnixTimeSeconds(expires) < context.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow())
            || !SandboxIds.IsValid(id))
        {
            return false;
        }

        var grains = context.RequestServices.GetRequiredService<IGrainFactory>();
        if ((await grains.GetGrain<ISandboxGrain>(id).GetDaemonEndpointAsync(context.RequestAborted)).Token is not { } secret)
        {
            return false;
        }

        var canonical = $"v1:files:{method}:{query["path"]}:{query["expires"]}";
        var expected = HMACSHA256.HashData(Encoding.UTF8.GetBytes(SigningKey(secret)), Encoding.UTF8.GetBytes(canonical));
        var presented = Base64UrlDecode(signature[3..]);
        return presented is not null && CryptographicOperations.FixedTimeEquals(expected, presented);
    }

    /// <summary>The sandbox's signing key: derived from its daemon secret, never the secret itself.</summary>
    private static string SigningKey(string daemonSecret) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(daemonSecret), "daytona-file-url-signing-key"u8));

    private static byte[]? Base64UrlDecode(string text)
    {
        try
        {
            return System.Buffers.Text.Base64Url.DecodeFromChars(text);
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
