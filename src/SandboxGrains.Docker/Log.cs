using Microsoft.Extensions.Logging;

namespace SandboxGrains.Docker;

internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Debug, "Created container {ContainerId} from {Image}")]
    public static partial void ContainerCreated(this ILogger logger, string containerId, string image);

    [LoggerMessage(2, LogLevel.Debug, "Removed container {ContainerId}")]
    public static partial void ContainerRemoved(this ILogger logger, string containerId);

    [LoggerMessage(3, LogLevel.Information, "Created network {Network} with inter-container traffic disabled")]
    public static partial void NetworkCreated(this ILogger logger, string network);

    [LoggerMessage(4, LogLevel.Debug, "Exec in {ContainerId} exited with {ExitCode}")]
    public static partial void ExecFinished(this ILogger logger, string containerId, long exitCode);

    /// <summary>Container ids shortened as Docker's CLI shows them.</summary>
    public static string Truncated(string id) => id.Length > 12 ? id[..12] : id;
}
