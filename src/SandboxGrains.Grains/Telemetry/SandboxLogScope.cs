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

    public async Task Invoke(IIncomingGrainCallContext context)
    {
        if (context.TargetContext.GrainInstance is not ISandboxGrain || context.TargetId.Key.ToString() is not { Length: > 0 } sandboxId)
        {
            await context.Invoke();
            return;
        }

        using (Scope(logger, sandboxId))
        {
            await context.Invoke();
        }
    }
}
