namespace SandboxGrains.Docker;

/// <summary>Credentials for one registry, sent to the engine with a pull or push and never logged or shown.</summary>
public sealed record RegistryAuth(string Registry, string Username, string Password)
{
    // A record prints its members; this one must not print the password.
    public override string ToString() => $"RegistryAuth {{ Registry = {Registry}, Username = {Username} }}";
}
