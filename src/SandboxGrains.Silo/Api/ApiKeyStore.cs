using System.Security.Cryptography;
using System.Text;
using SandboxGrains.Silo.Hosting;

namespace SandboxGrains.Silo.Api;

/// <summary>
/// Holds the accepted API keys as SHA-256 hashes only and checks presented keys in constant time. Keys come from
/// configuration and <c>SANDBOXGRAINS_API_KEY</c>; with neither, a key is generated once, printed once and kept
/// (mode 0600) in the data directory.
/// </summary>
internal sealed class ApiKeyStore
{
    /// <summary>File in the data directory that holds the generated key.</summary>
    public const string GeneratedKeyFileName = "api-key";

    private readonly byte[][] _hashes;

    public ApiKeyStore(IOptions<ApiOptions> api, IOptions<SiloOptions> silo)
    {
        var keys = api.Value.Keys.Select(k => k.Trim()).Where(k => k.Length > 0).ToList();
        if (Environment.GetEnvironmentVariable(ApiOptions.KeyEnvironmentVariable)?.Trim() is { Length: > 0 } fromEnvironment)
        {
            keys.Add(fromEnvironment);
        }

        if (keys.Count == 0)
        {
            KeyFile = Path.Combine(silo.Value.DataDirectory, GeneratedKeyFileName);
            keys.Add(LoadOrGenerate(KeyFile));
        }

        _hashes = [.. keys.Distinct(StringComparer.Ordinal).Select(Hash)];
        OptionalOnLoopback = api.Value.KeyOptionalOnLoopback;
    }

    /// <summary>Seed 002's <c>security.enabled: false</c>: a request that arrived on a loopback address needs no key.</summary>
    public bool OptionalOnLoopback { get; }

    /// <summary>Path of the generated key file, when the key was generated rather than configured.</summary>
    public string? KeyFile { get; }

    /// <summary>True when <paramref name="presented"/> is one of the accepted keys.</summary>
    public bool IsValid(ReadOnlySpan<char> presented)
    {
        if (presented.IsEmpty)
        {
            return false;
        }

        Span<byte> candidate = stackalloc byte[SHA256.HashSizeInBytes];
        var bytes = Encoding.UTF8.GetBytes(presented.ToArray());
        SHA256.HashData(bytes, candidate);
        var match = false;
        foreach (var hash in _hashes)
        {
            // Compare against every key so timing does not reveal which one matched.
            match |= CryptographicOperations.FixedTimeEquals(candidate, hash);
        }

        return match;
    }

    /// <summary>A fresh key: "sg_" and 32 lowercase base-32 characters (160 random bits).</summary>
    public static string NewKey()
    {
        const string alphabet = "abcdefghijklmnopqrstuvwxyz234567";
        Span<byte> random = stackalloc byte[32];
        RandomNumberGenerator.Fill(random);
        var chars = new char[32];
        for (var i = 0; i < chars.Length; i++)
        {
            chars[i] = alphabet[random[i] & 31];
        }

        return "sg_" + new string(chars);
    }

    private static string LoadOrGenerate(string path)
    {
        if (File.Exists(path) && File.ReadAllText(path).Trim() is { Length: >= ApiOptions.MinimumKeyLength } existing)
        {
            return existing;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var key = NewKey();
        var temporary = path + ".tmp";
        using (var stream = new FileStream(temporary, new FileStreamOptions
        {
            Mode = FileMode.Create,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        }))
        {
            stream.Write(Encoding.UTF8.GetBytes(key + "\n"));
        }

        File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.Move(temporary, path, overwrite: true);

        // Printed once, on the console and not through logging, so it never lands in a log pipeline.
        Console.Out.WriteLine($"""

            SandboxGrains generated an API key (stored with mode 0600 in {path}):

                {key}

            Send it as 'Authorization: Bearer <key>' or 'X-API-Key: <key>'. It is not shown again.

            """);
        return key;
    }

    private static byte[] Hash(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));
}
