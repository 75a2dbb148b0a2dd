using System.Reflection;

namespace SandboxGrains.Daemon;

/// <summary>The daemon's version and the sandbox user's home directory.</summary>
internal static class DaemonVersion
{
    public static string Current { get; } =
        typeof(DaemonVersion).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    public static string HomeDir() => Environment.GetEnvironmentVariable("HOME") is { Length: > 0 } home ? home : "/root";
}
