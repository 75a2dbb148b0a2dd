using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace SandboxGrains.Silo.Forwarding.Relay;

/// <summary>
/// The one request a silo sends a runner's relay: <c>GET /relay</c> upgraded to <see cref="UpgradeToken"/>, naming a
/// sandbox and its container's <c>address:port</c>, signed with the cluster secret. On 101 the connection carries raw
/// bytes to that address both ways; anything else is a refusal with a code in <see cref="ErrorHeader"/>. The secret never
/// travels: the signature is an HMAC over the time, a one-time nonce, the sandbox and the target, so a captured request
/// opens nothing else and cannot be replayed.
/// </summary>
internal static class RelayProtocol
{
    public const string Path = "/relay";
    public const string UpgradeToken = "sandboxgrains-relay";
    public const string SandboxHeader = "SandboxGrains-Relay-Sandbox";
    public const string TargetHeader = "SandboxGrains-Relay-Target";
    public const string SignatureHeader = "SandboxGrains-Relay-Signature";
    public const string ErrorHeader = "SandboxGrains-Relay-Error";

    /// <summary>How far a signature's time may be from the relay's clock.</summary>
    public static readonly TimeSpan MaxClockSkew = TimeSpan.FromSeconds(30);

    /// <summary>Why a relay refused, in <see cref="ErrorHeader"/>.</summary>
    public static class Errors
    {
        /// <summary>The target refused the connection: nothing listens there (a direct connect would have met the same).</summary>
        public const string NothingListens = "nothing-listens";

        /// <summary>The target did not answer the connect.</summary>
        public const string TargetUnreachable = "target-unreachable";

        /// <summary>No signature, a wrong or stale one, or one seen before.</summary>
        public const string BadSignature = "bad-signature";

        /// <summary>The target is not a sandbox of this relay's runner (or not its container's address).</summary>
        public const string NotThisRunner = "not-this-runner";

        /// <summary>The sandbox is on this runner but takes no traffic now (starting, stopping), or the cluster is re-forming.</summary>
        public const string NotServing = "not-serving";

        /// <summary>The request is not a relay request at all.</summary>
        public const string NotARelayRequest = "not-a-relay-request";
    }

    /// <summary>The key signatures are made with; from the configured secret.</summary>
    public static byte[] Key(string secret) => SHA256.HashData(Encoding.UTF8.GetBytes(secret));

    /// <summary><c>t={unix seconds},n={nonce},s={signature}</c> for a request to reach <paramref name="target"/> of <paramref name="sandboxId"/>.</summary>
    public static string Sign(byte[] key, DateTimeOffset now, string sandboxId, string target)
    {
        var time = now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var nonce = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(16));
        return $"t={time},n={nonce},s={Signature(key, time, nonce, sandboxId, target)}";
    }

    /// <summary>The nonce of a valid, fresh signature; null for anything else.</summary>
    public static string? Verify(byte[] key, DateTimeOffset now, string? header, string sandboxId, string target)
    {
        if (header is not { Length: < 256 } || header.Split(',') is not [['t', '=', .. var time], ['n', '=', .. var nonce], ['s', '=', .. var signature]]
            || !long.TryParse(time, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            || Math.Abs(now.ToUnixTimeSeconds() - seconds) > MaxClockSkew.TotalSeconds)
        {
            return null;
        }

        var expected = Encoding.ASCII.GetBytes(Signature(key, time, nonce, sandboxId, target));
        return CryptographicOperations.FixedTimeEquals(expected, Encoding.ASCII.GetBytes(signature)) ? nonce : null;
    }

    private static string Signature(byte[] key, string time, string nonce, string sandboxId, string target) =>
        Base64Url.EncodeToString(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes($"{time}\n{nonce}\n{sandboxId}\n{target}")));
}
