namespace SandboxGrains.Silo.Proxy;

/// <summary>The headers between a silo and a sandbox daemon, in one place for the toolbox and preview front ends.</summary>
internal static class DaemonHeaders
{
    /// <summary>The per-sandbox daemon secret.</summary>
    public const string TokenHeader = "X-Sandbox-Daemon-Token";

    /// <summary>Set by the daemon on errors it answers itself (value: its code), as opposed to an app's answer.</summary>
    public const string ErrorHeader = "X-Sandboxd-Error";

    /// <summary>
    /// Takes the caller's credentials off a forwarded request (the API key must never reach a sandbox, where any process
    /// could log it) and puts the sandbox's daemon secret on instead; a secret sent by the caller is dropped too.
    /// </summary>
    public static void Replace(HttpRequestMessage request, string daemonToken)
    {
        StripCredentials(request);
        request.Headers.TryAddWithoutValidation(TokenHeader, daemonToken);
    }

    /// <summary>True for the headers <see cref="StripCredentials"/> takes off: the caller's credentials and any daemon secret it sent.</summary>
    public static bool IsCredential(string name) =>
        name.Equals("Authorization", StringComparison.OrdinalIgnoreCase)
        || name.Equals("X-API-Key", StringComparison.OrdinalIgnoreCase)
        || name.Equals(TokenHeader, StringComparison.OrdinalIgnoreCase);

    /// <summary>Takes the caller's credentials (and any daemon secret it sent) off a request that goes to an app.</summary>
    public static void StripCredentials(HttpRequestMessage request)
    {
        request.Headers.Authorization = null;
        request.Headers.Remove("X-API-Key");
        request.Headers.Remove(TokenHeader);
    }
}
