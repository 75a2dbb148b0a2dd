namespace SandboxGrains.Silo.Daytona;

/// <summary>
/// Our sandbox states in Daytona's words, both ways. Most names are Daytona's already; <c>pulling</c> is Daytona's
/// <c>pulling_snapshot</c>, and a warm pool's <c>pooled</c> (never shown to Daytona callers) reads as started.
/// </summary>
internal static class DaytonaStates
{
    public static string Name(SandboxState state) => state switch
    {
        SandboxState.Pulling => "pulling_snapshot",
        SandboxState.Pooled => "started",
        _ => state.ToString().ToLowerInvariant(),
    };

    /// <summary>Where the sandbox is headed (Daytona's <c>desiredState</c>): <c>started</c>, <c>stopped</c>, <c>archived</c> or <c>destroyed</c>.</summary>
    public static string Desired(SandboxState state) => state switch
    {
        SandboxState.Stopping or SandboxState.Stopped => "stopped",
        SandboxState.Archiving or SandboxState.Archived => "archived",
        SandboxState.Destroying or SandboxState.Destroyed => "destroyed",
        _ => "started",
    };

    /// <summary>Our state for a Daytona state name; false for a name that is not one of Daytona's we can be in.</summary>
    public static bool TryParse(string name, out SandboxState state)
    {
        foreach (var candidate in Enum.GetValues<SandboxState>())
        {
            if (candidate != SandboxState.Pooled && Name(candidate) == name)
            {
                state = candidate;
                return true;
            }
        }

        state = default;
        return false;
    }
}
