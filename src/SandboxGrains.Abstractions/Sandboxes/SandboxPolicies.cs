namespace SandboxGrains.Sandboxes;

/// <summary>
/// What happens to a sandbox nobody is using, in minutes (the <c>Lifecycle:MinuteLength</c> setting can shorten the
/// minute for tests and demos). Set at create, changed with <c>PATCH</c>, shown on the sandbox.
/// </summary>
[GenerateSerializer, Immutable, Alias("sandboxgrains.SandboxPolicies")]
public sealed record SandboxPolicies
{
    /// <summary>Longest any policy may be: ten years.</summary>
    public const int MaxMinutes = 10 * 365 * 24 * 60;

    /// <summary>A started sandbox with no toolbox or preview traffic (and no open WebSocket) this long is stopped; 0: never.</summary>
    [Id(0)] public int AutoStopMinutes { get; init; } = 15;

    /// <summary>A stopped sandbox this long is archived (files kept as an image, container removed); 0: never.</summary>
    [Id(1)] public int AutoArchiveMinutes { get; init; } = 7 * 24 * 60;

    /// <summary>A stopped sandbox this long is deleted; 0: as soon as it stops (an ephemeral sandbox); null: never.</summary>
    [Id(2)] public int? AutoDeleteMinutes { get; init; }

    /// <summary>A hard lifetime from creation, whatever the activity; null: none.</summary>
    [Id(3)] public int? TtlMinutes { get; init; }

    public static SandboxPolicies Default { get; } = new();

    /// <summary>Why a value cannot be a policy (field name as the API spells it), or null when it can.</summary>
    public static string? Problem(string field, int? minutes) => (field, minutes) switch
    {
        (_, null) => null,
        (_, < 0) => "must be a number of minutes, 0 or more",
        (_, > MaxMinutes) => $"must be at most {MaxMinutes} minutes (ten years)",
        ("ttlMinutes", 0) => "must be at least 1 minute (leave it out for no time limit)",
        _ => null,
    };
}

/// <summary>A sandbox's change of state and why: the last one is kept on the sandbox.</summary>
[GenerateSerializer, Immutable, Alias("sandboxgrains.SandboxTransition")]
public sealed record SandboxTransition(
    [property: Id(0)] SandboxState From,
    [property: Id(1)] SandboxState To,
    [property: Id(2)] string? Reason,
    [property: Id(3)] DateTimeOffset At);

/// <summary>
/// A change to an existing sandbox (<c>PATCH</c>): only what is set changes. For the two policies that can be "never"
/// (<see cref="SandboxPolicies.AutoDeleteMinutes"/>, <see cref="SandboxPolicies.TtlMinutes"/>) the <c>Set…</c> flag
/// tells "set to never" (null) from "leave as it is".
/// </summary>
[GenerateSerializer, Immutable, Alias("sandboxgrains.SandboxUpdate")]
public sealed record SandboxUpdate
{
    [Id(0)] public int? AutoStopMinutes { get; init; }
    [Id(1)] public int? AutoArchiveMinutes { get; init; }
    [Id(2)] public bool SetAutoDeleteMinutes { get; init; }
    [Id(3)] public int? AutoDeleteMinutes { get; init; }
    [Id(4)] public bool SetTtlMinutes { get; init; }
    [Id(5)] public int? TtlMinutes { get; init; }

    /// <summary>Replaces all of the caller's labels when set.</summary>
    [Id(6)] public IReadOnlyDictionary<string, string>? Labels { get; init; }

    /// <summary>The policies after this change.</summary>
    public SandboxPolicies ApplyTo(SandboxPolicies policies) => policies with
    {
        AutoStopMinutes = AutoStopMinutes ?? policies.AutoStopMinutes,
        AutoArchiveMinutes = AutoArchiveMinutes ?? policies.AutoArchiveMinutes,
        AutoDeleteMinutes = SetAutoDeleteMinutes ? AutoDeleteMinutes : policies.AutoDeleteMinutes,
        TtlMinutes = SetTtlMinutes ? TtlMinutes : policies.TtlMinutes,
    };
}
