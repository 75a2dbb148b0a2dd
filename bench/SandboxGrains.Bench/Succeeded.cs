using SandboxGrains.Client;

namespace SandboxGrains.Bench;

/// <summary>A bench step that ran a command in a sandbox must have succeeded, or the timing means nothing.</summary>
internal static class Succeeded
{
    public static void Require(ExecuteResult result, string what)
    {
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"{what} failed (exit {result.ExitCode}): {result.Result}");
        }
    }
}
