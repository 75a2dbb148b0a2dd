namespace SandboxGrains.Sandboxes;

/// <summary>How the daemon gets into a sandbox's container.</summary>
public enum InjectionMode
{
    /// <summary>The bundle is bind-mounted read-only and the daemon is the container's PID 1, running the image's command as a child.</summary>
    Mount,

    /// <summary>The bundle is copied in through Docker's archive API and the daemon started with a detached exec.</summary>
    Copy,

    /// <summary>The image already carries the daemon; it is only started and health-checked.</summary>
    None,
}

/// <summary>Reads injection mode names, including seed 002's aliases (<c>volume</c> = copy, <c>direct</c> = none).</summary>
public static class InjectionModes
{
    /// <summary>Every accepted spelling, for error messages.</summary>
    public const string Accepted = "mount, copy, none (aliases: volume = copy, direct = none)";

    /// <summary>Parses a mode name (case-insensitive); null or empty gives <paramref name="fallback"/>.</summary>
    public static bool TryParse(string? value, InjectionMode fallback, out InjectionMode mode)
    {
        mode = fallback;
        switch (value?.Trim().ToLowerInvariant())
        {
            case null or "": return true;
            case "mount": mode = InjectionMode.Mount; return true;
            case "copy" or "volume": mode = InjectionMode.Copy; return true;
            case "none" or "direct": mode = InjectionMode.None; return true;
            default: return false;
        }
    }

    /// <summary>The canonical lowercase name.</summary>
    public static string Name(this InjectionMode mode) => mode.ToString().ToLowerInvariant();
}
