using Microsoft.Extensions.Logging;

namespace SandboxGrains.Grains.Sandboxes;

/// <summary>What a sandbox grain logs about a sandbox's life.</summary>
internal static partial class SandboxGrainLog
{
    [LoggerMessage(1, LogLevel.Information, "Sandbox {SandboxId} started on runner {RunnerId}, daemon at {Address}")]
    public static partial void Started(this ILogger logger, string sandboxId, string runnerId, string address);

    [LoggerMessage(2, LogLevel.Warning, "Sandbox {SandboxId} could not be created: {Reason}")]
    public static partial void CreateFailed(this ILogger logger, string sandboxId, string reason);

    [LoggerMessage(3, LogLevel.Information, "Sandbox {SandboxId} deleted")]
    public static partial void Deleted(this ILogger logger, string sandboxId);

    [LoggerMessage(4, LogLevel.Information, "Sandbox {SandboxId}: container event {Action}")]
    public static partial void ContainerEvent(this ILogger logger, string sandboxId, string action);

    [LoggerMessage(5, LogLevel.Information, "Sandbox {SandboxId} rebuilt from its container (labels or adoption marker) on runner {RunnerId}")]
    public static partial void Rebuilt(this ILogger logger, string sandboxId, string runnerId);

    [LoggerMessage(6, LogLevel.Information, "Sandbox {SandboxId} adopted container {Container} on runner {RunnerId}")]
    public static partial void Adopted(this ILogger logger, string sandboxId, string container, string runnerId);

    [LoggerMessage(7, LogLevel.Information, "Sandbox {SandboxId}: {Reason}")]
    public static partial void PolicyActs(this ILogger logger, string sandboxId, string reason);

    [LoggerMessage(8, LogLevel.Warning, "Sandbox {SandboxId}: policy not applied ({Reason}): {Error}; tried again at the next check")]
    public static partial void PolicyFailed(this ILogger logger, string sandboxId, string reason, string error);

    [LoggerMessage(9, LogLevel.Information, "Sandbox {SandboxId} archived to {Image}")]
    public static partial void Archived(this ILogger logger, string sandboxId, string image);

    [LoggerMessage(10, LogLevel.Information, "Sandbox {SandboxId} restored from its archive on runner {RunnerId}")]
    public static partial void Restored(this ILogger logger, string sandboxId, string runnerId);

    [LoggerMessage(12, LogLevel.Warning, "Sandbox {SandboxId}: its archive stays on its runner only, not in the snapshot registry: {Reason}")]
    public static partial void ArchiveNotPublished(this ILogger logger, string sandboxId, string reason);

    [LoggerMessage(13, LogLevel.Warning, "Sandbox {SandboxId}: a copy of its archive is left at {Where}: {Reason}")]
    public static partial void ArchiveCopyLeft(this ILogger logger, string sandboxId, string where, string reason);

    [LoggerMessage(11, LogLevel.Information, "Sandbox {SandboxId}: image {Image} is not on runner {RunnerId}; pulling it")]
    public static partial void Pulling(this ILogger logger, string sandboxId, string image, string runnerId);
}
