using System.Globalization;

namespace SandboxGrains.Previews;

/// <summary>The two links of a freshly made preview; the one place their shape is decided.</summary>
public static class PreviewUrls
{
    /// <summary>
    /// Path form <c>{publicBase}/preview/{token}/</c> and host form <c>{scheme}://{port}-{token}.{domain}[:{port}]/</c>,
    /// the port being <paramref name="publicBase"/>'s when it is not the scheme's default.
    /// </summary>
    public static Preview Describe(IssuedPreview issued, Uri publicBase, string domain)
    {
        var token = issued.Token;
        var authority = $"{issued.Record.Grant.Port.ToString(CultureInfo.InvariantCulture)}-{token}.{domain}";
        if (!publicBase.IsDefaultPort)
        {
            authority += ":" + publicBase.Port.ToString(CultureInfo.InvariantCulture);
        }

        return Preview.From(issued.Record) with
        {
            Token = token,
            Url = $"{publicBase.GetLeftPart(UriPartial.Authority)}/preview/{token}/",
            HostUrl = $"{publicBase.Scheme}://{authority}/",
        };
    }
}
