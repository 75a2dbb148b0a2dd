namespace SandboxGrains;

/// <summary>
/// What the cluster and a sandbox's daemon (<c>sandboxd</c>) agree on: its port, its headers, the error codes a caller
/// acts on, and the paths the cluster itself calls. One file, compiled into the daemon, the silo, the Docker project and
/// the client, so neither side can drift.
/// </summary>
internal static class DaemonProtocol
{
    /// <summary>The daemon's port inside a sandbox unless configured otherwise.</summary>
    public const int DefaultPort = 2280;

    /// <summary>The per-sandbox daemon secret; every request to a daemon carries it, and nothing past the daemon sees it.</summary>
    public const string SecretHeader = "X-Sandbox-Daemon-Token";

    /// <summary>Set by the daemon on the errors it answers itself (value: the code), as opposed to an app's answer passed on by <c>/proxy</c>.</summary>
    public const string ErrorHeader = "X-Sandboxd-Error";

    /// <summary><c>GET</c>: the daemon's version; the cluster's readiness probe.</summary>
    public const string VersionPath = "/version";

    /// <summary>
    /// The claim file, beside the daemon's secret file: written by the runner when a create claims a warm pool's sandbox,
    /// JSON whose <c>env</c> object the daemon adds to every process it starts from then on.
    /// </summary>
    public const string ClaimFileName = "claim.json";

    /// <summary>
    /// <c>PUT</c>, body the claim file's JSON: the daemon writes its claim file itself, so a claim costs one request
    /// rather than a Docker archive upload (about 60 ms here). A daemon that may not write there answers
    /// <see cref="Errors.ClaimNotWritable"/> and the cluster writes the file through Docker instead.
    /// </summary>
    public const string ClaimPath = ClusterPathPrefix + "/claim";

    /// <summary>
    /// Where the daemon's routes for the cluster alone begin (<see cref="ClaimPath"/>, <see cref="ShutdownPath"/>): not
    /// Daytona's API, and refused through the toolbox.
    /// </summary>
    public const string ClusterPathPrefix = "/sandboxd";

    /// <summary><c>POST</c>: the daemon leaves an adopted container (refused when it is the container's init process).</summary>
    public const string ShutdownPath = ClusterPathPrefix + "/shutdown";

    /// <summary>The daemon's forward to <c>127.0.0.1:{port}</c> inside the sandbox: <c>/proxy/{port}/…</c>.</summary>
    public static string ProxyPath(int port) => $"/proxy/{port}";

    /// <summary>Error codes (<c>code</c> in the daemon's error body and in <see cref="ErrorHeader"/>) that callers act on.</summary>
    public static class Errors
    {
        /// <summary>Missing or wrong <see cref="SecretHeader"/>.</summary>
        public const string Unauthorized = "UNAUTHORIZED";

        /// <summary><c>/proxy</c>: nothing accepts connections on that port inside the sandbox.</summary>
        public const string PortUnreachable = "PORT_UNREACHABLE";

        /// <summary><c>/proxy</c>: the app took the request and failed it (closed the connection, answered something that is not HTTP).</summary>
        public const string AppFailed = "APP_FAILED";

        /// <summary><c>/proxy</c>: the port is the daemon's own.</summary>
        public const string PortForbidden = "PORT_FORBIDDEN";

        /// <summary><c>/proxy</c>: the port is not a number from 1 to 65535.</summary>
        public const string InvalidPort = "INVALID_PORT";

        /// <summary><see cref="ClaimPath"/>: the daemon cannot write its claim file (it runs as a user the folder is not writable for).</summary>
        public const string ClaimNotWritable = "CLAIM_NOT_WRITABLE";
    }
}
