using System.Security.Cryptography;

namespace SandboxGrains.WarmPools;

/// <summary>Warm pool ids: <c>pool-</c> and 12 random lowercase letters and digits.</summary>
public static class WarmPoolIds
{
    private const string Prefix = "pool-";
    private const string Alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
    private static readonly System.Buffers.SearchValues<char> AlphabetValues = System.Buffers.SearchValues.Create(Alphabet);

    public static string New() => Prefix + RandomNumberGenerator.GetString(Alphabet, 12);

    public static bool IsValid(string? id) =>
        id is { Length: 17 } && id.StartsWith(Prefix, StringComparison.Ordinal) && id.AsSpan(Prefix.Length).IndexOfAnyExcept(AlphabetValues) < 0;
}
