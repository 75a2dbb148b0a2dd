namespace SandboxGrains.Testing;

/// <summary>Where things are in the repository the tests run from.</summary>
public static class RepositoryPaths
{
    /// <summary>The folder holding <c>SandboxGrains.sln</c>.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>Build configuration the tests were built in (Debug or Release), so helpers use matching outputs.</summary>
    public static string Configuration { get; } =
        AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
            ? "Release" : "Debug";

    /// <summary>The built silo's entry assembly.</summary>
    public static string SiloAssembly => Path.Combine(Root, "src", "SandboxGrains.Silo", "bin", Configuration, "net10.0", "SandboxGrains.Silo.dll");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "SandboxGrains.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"SandboxGrains.sln not found above {AppContext.BaseDirectory}");
    }
}
