using SandboxGrains.Http;
using SandboxGrains.Silo.Forwarding;

namespace SandboxGrains.Silo.Toolbox;

/// <summary><c>/toolbox/{id}/…</c> → the sandbox's daemon, with its secret added and the caller's API key taken off.</summary>
internal sealed class ToolboxResolver(SandboxEndpoints endpoints)
{
    public Task<Resolution> ResolveAsync(HttpContext context, string sandboxId)
    {
        if (!SandboxIds.IsValid(sandboxId))
        {
            throw new SandboxException(SandboxErrorCodes.NotFound, $"sandbox {sandboxId} not found");
        }

        if (IsClusterOnly(context.Request.Path, sandboxId))
        {
            throw new SandboxException(SandboxErrorCodes.InvalidRequest, "paths under /sandboxd/ are the cluster's own calls to the daemon, not part of the toolbox");
        }

        return ResolveDaemonPathAsync(context, sandboxId, RawRequestTarget.After(context, $"/toolbox/{sandboxId}"));
    }

    /// <summary>
    /// A request for <paramref name="pathAndQuery"/> on the daemon of <paramref name="sandboxId"/>: a path the caller chose
    /// (seed 002's <c>/proxy/{port}</c>, a signed file link's route), never the cluster's own.
    /// </summary>
    public async Task<Resolution> ResolveDaemonPathAsync(HttpContext context, string sandboxId, string pathAndQuery)
    {
        if (!SandboxIds.IsValid(sandboxId))
        {
            throw new SandboxException(SandboxErrorCodes.NotFound, $"sandbox {sandboxId} not found");
        }

        var (sandbox, refusal) = await endpoints.GetServingAsync(context, sandboxId);
        if (sandbox is null)
        {
            return Resolution.Refuse(refusal!);
        }

        return Resolution.Forward(new ForwardTarget(
            sandboxId, sandbox.DaemonAddress, pathAndQuery, HeaderPolicy.Toolbox, DaemonSecret: sandbox.DaemonSecret, Via: sandbox.Via));
    }

    /// <summary>
    /// The daemon's <c>/sandboxd/…</c> routes (a pool claim, taking the daemon out of an adopted container) are the
    /// cluster's alone: through the toolbox anyone with an API key could rewrite a claimed sandbox's claim file. Checked on
    /// the decoded, dot-normalised path, case-insensitively and past repeated slashes, as the daemon's routing would see it.
    /// </summary>
    private static bool IsClusterOnly(PathString path, string sandboxId)
    {
        var rest = (path.Value ?? "")[Math.Min((path.Value ?? "").Length, $"/toolbox/{sandboxId}".Length)..].TrimStart('/');
        return rest.Equals(ClusterPrefix, StringComparison.OrdinalIgnoreCase)
            || rest.StartsWith(ClusterPrefix + "/", StringComparison.OrdinalIgnoreCase);
    }

    private static readonly string ClusterPrefix = DaemonProtocol.ClusterPathPrefix.TrimStart('/');
}
