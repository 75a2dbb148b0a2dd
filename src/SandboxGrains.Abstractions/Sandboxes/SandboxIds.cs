using System.Security.Cryptography;

namespace SandboxGrains.Sandboxes;

/// <summary>Sandbox ids: lowercase letters and digits, so they fit DNS labels, container names and URLs unescaped.</summary>
public static class SandboxIds
{
    private const string Alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";

    /// <summary>A fresh random id (16 characters, about 82 bits).</summary>
    public static string New() => RandomNumberGenerator.GetString(Alphabet, 16);

    /// <summary>True for a well-formed id: 1–63 lowercase letters, digits or dashes, starting with a letter or digit.</summary>
    public static bool IsValid(string? id) =>
        id is { Length: > 0 and <= 63 } && char.IsAsciiLetterOrDigit(id[0])
        && id.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-');
}
