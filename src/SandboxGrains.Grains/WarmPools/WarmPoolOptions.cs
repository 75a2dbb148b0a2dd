namespace SandboxGrains.Grains.WarmPools;

/// <summary>How warm pools refill (section <c>WarmPools</c>).</summary>
public sealed class WarmPoolOptions
{
    public const string SectionName = "WarmPools";

    /// <summary>Containers one pool makes at once; more only slows every create on a small host.</summary>
    public int RefillConcurrency { get; set; } = 2;

    /// <summary>How often a pool looks at its members and refills.</summary>
    public TimeSpan ReviewInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long after activation a member that is not found is still expected back (rebuilt from its container).</summary>
    public TimeSpan RestartGrace { get; set; } = TimeSpan.FromSeconds(30);
}
