namespace SandboxGrains.Daemon.Git;

/// <summary>A username and password (or token) for one git run against a remote.</summary>
internal sealed record GitCredentials(string? Username, string? Password)
{
    /// <summary>Credentials when the caller gave any, else null (git then uses what the image configured).</summary>
    public static GitCredentials? From(string? username, string? password) =>
        string.IsNullOrEmpty(username) && string.IsNullOrEmpty(password) ? null : new(username, password);
}
