using SandboxGrains.Http;
using SandboxGrains.Silo.Forwarding;

namespace SandboxGrains.Silo.Toolbox;

/// <summary><c>/toolbox/{id}/…</c> → the sandbox's daemon, with its secret added and the caller's API key taken off.</summary>
internal sealed class ToolboxResolver(SandboxEndpoints endpoints)
{
    public async Task<Resolution> ResolveAsync(HttpContext context, string sandboxId)
    {
        if (!SandboxIds.IsValid(sandboxId))
        {
            throw new SandboxException(SandboxErrorCodes.NotFound, $"sandbox {sandboxId} not found");
        }

        var (daemon, refusal) = await endpoints.GetServingAsync(context, sandboxId);
        if (daemon is null)
        {
            return Resolution.Refuse(refusal!);
        }

        var pathAndQuery = RawRequestTarget.After(context, $"/toolbox/{sandboxId}");
        return Resolution.Forward(new ForwardTarget(sandboxId, daemon.Address!, pathAndQuery, HeaderPolicy.Toolbox, DaemonSecret: daemon.Token));
    }
}
