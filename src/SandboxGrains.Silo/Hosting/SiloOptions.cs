namespace SandboxGrains.Silo.Hosting;

/// <summary>Where this silo keeps what must outlive the process (section <c>Silo</c>).</summary>
public sealed class SiloOptions
{
    public const string SectionName = "Silo";

    /// <summary>Folder for the generated API key and other local state; default <c>$XDG_DATA_HOME/sandboxgrains</c>.</summary>
    public string DataDirectory { get; set; } = DefaultDataDirectory();

    /// <summary>
    /// On SIGTERM, how long requests in flight (a preview download, a WebSocket) may take to finish before the silo leaves
    /// the cluster anyway; the whole stop may take this plus Orleans' own graceful stop.
    /// </summary>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(15);

    private static string DefaultDataDirectory()
    {
        var dataHome = Environment.GetEnvironmentVariable("XDG_DATA_HOME");
        if (string.IsNullOrEmpty(dataHome))
        {
            dataHome = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "share");
        }

        return Path.Combine(dataHome, "sandboxgrains");
    }
}

internal sealed class SiloOptionsValidator : IValidateOptions<SiloOptions>
{
    public ValidateOptionsResult Validate(string? name, SiloOptions options)
    {
        if (options.DrainTimeout < TimeSpan.Zero || options.DrainTimeout > TimeSpan.FromMinutes(10))
        {
            return ValidateOptionsResult.Fail($"Silo:DrainTimeout {options.DrainTimeout} must be between 00:00:00 and 00:10:00.");
        }

        if (string.IsNullOrWhiteSpace(options.DataDirectory))
        {
            return ValidateOptionsResult.Fail("Silo:DataDirectory is empty; set it to a folder this process may write to.");
        }

        try
        {
            Directory.CreateDirectory(options.DataDirectory);
            return ValidateOptionsResult.Success;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return ValidateOptionsResult.Fail(
                $"Silo:DataDirectory '{options.DataDirectory}' cannot be created ({e.Message}); point it at a writable folder.");
        }
    }
}
