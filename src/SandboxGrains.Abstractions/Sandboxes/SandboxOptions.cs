namespace SandboxGrains.Sandboxes;

/// <summary>Defaults and limits for new sandboxes (section <c>Sandboxes</c>).</summary>
public sealed class SandboxOptions
{
    public const string SectionName = "Sandboxes";

    /// <summary>Image used when a create names none.</summary>
    public string DefaultImage { get; set; } = "sandboxgrains/base:latest";

    /// <summary>CPU cores when a create names none.</summary>
    public double DefaultCpu { get; set; } = 1;

    /// <summary>Memory in MiB when a create names none.</summary>
    public long DefaultMemoryMb { get; set; } = 1024;

    /// <summary>Most CPU cores one sandbox may ask for.</summary>
    public double MaxCpu { get; set; } = 64;

    /// <summary>Most memory in MiB one sandbox may ask for.</summary>
    public long MaxMemoryMb { get; set; } = 256 * 1024;

    /// <summary>Process limit of every sandbox.</summary>
    public long PidsLimit { get; set; } = 4096;
}
