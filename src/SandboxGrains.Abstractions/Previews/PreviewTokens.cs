using System.Security.Cryptography;
using System.Text;

namespace SandboxGrains.Previews;

/// <summary>
/// Preview tokens: the only credential a preview link carries. 32 characters of lowercase letters and digits (about
/// 165 random bits), so "{port}-{token}" fits one DNS label. Only the token's SHA-256 is ever stored.
/// </summary>
public static class PreviewTokens
{
    private const string Alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";

    /// <summary>Length of every token.</summary>
    public const int Length = 32;

    /// <summary>A fresh random token.</summary>
    public static string New() => RandomNumberGenerator.GetString(Alphabet, Length);

    /// <summary>
    /// A token derived from a secret the cluster holds: the same <paramref name="secret"/> and <paramref name="purpose"/>
    /// give the same token, and the token reveals nothing of the secret (HMAC-SHA-256). For links that must be answered
    /// again and again while only their hash is stored.
    /// </summary>
    public static string Derive(string secret, string purpose)
    {
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(purpose));
        var chars = new char[Length];
        for (var i = 0; i < Length; i++)
        {
            chars[i] = Alphabet[mac[i] % Alphabet.Length];
        }

        return new string(chars);
    }

    /// <summary>True when <paramref name="token"/> could be a token; anything else is refused before any lookup.</summary>
    public static bool IsWellFormed(string? token) =>
        token is { Length: Length } && !token.AsSpan().ContainsAnyExcept(TokenCharacters);

    /// <summary>The key a token is stored and looked up under: lowercase hex SHA-256. (Every preview request computes it: no garbage but the result.)</summary>
    public static string Hash(string token)
    {
        Span<byte> ascii = stackalloc byte[Encoding.ASCII.GetMaxByteCount(token.Length)];
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(ascii[..Encoding.ASCII.GetBytes(token, ascii)], hash);
        return Convert.ToHexStringLower(hash);
    }

    private static readonly System.Buffers.SearchValues<char> TokenCharacters = System.Buffers.SearchValues.Create(Alphabet);

    /// <summary>A preview's public id: the start of its hash, enough to name it in a list without revealing the token.</summary>
    public static string IdOf(string tokenHash) => tokenHash[..16];
}
