using Microsoft.Extensions.Logging;

namespace SandboxGrains.Grains.Telemetry;

/// <summary>
/// Every log written during a call to a sandbox's grain carries that sandbox's id in its scope (the JSON console format
/// prints it beside the trace id), so one sandbox's story can be pulled out of a silo's log by a field, not by a search
/// through message text.
/// </summary>
internal sealed class SandboxLogScope(ILogger<SandboxLogScope> logger) : IIncomingGrainCallFilter
{
    private static readonly Func<ILogger, string, IDisposable?> Scope = LoggerMessage.DefineScope<string>("SandboxId:{SandboxId}");

    public Task Invoke(IIncomingGrainCallContext context) =>
        context.TargetContext.GrainInstance is ISandboxGrain && context.TargetId.Key.ToString() is { Length: > 0 } sandboxId
            ? InvokeInScopeAsync(context, sandboxId)
            : context.Invoke();

    private async Task InvokeInScopeAsync(IIncomingGrainCallContext context, string sandboxId)
    {
        using (Scope(logger, sandboxId))
        {
            await context.Invoke();
        }
    }
}
