namespace SandboxGrains.Daemon.Http;

/// <summary>
/// Routes of Daytona's daemon that sandboxd does not serve yet. They answer 501 <c>NOT_IMPLEMENTED</c> naming the
/// feature, so Daytona's SDK shows "not supported" rather than a 404 that reads like a missing file or sandbox. Each
/// entry goes when its feature lands; any other unknown path stays a plain 404.
/// </summary>
internal static class UnservedRoutes
{
    private static readonly (string Prefix, string Feature)[] Areas =
    [
        ("/process/interpreter", "the code interpreter (codeInterpreter)"),
        ("/lsp", "language servers (createLspServer)"),
        ("/computeruse", "computer use (computerUse)"),
        ("/init", "daemon re-initialisation"),
        ("/system/metrics", "metrics (getMetricsLatest)"),
        ("/files/upload-v2", "signed upload URLs (uploadUrl)"),
    ];

    /// <summary>The feature a path belongs to, or null when it is simply unknown.</summary>
    public static string? FeatureOf(PathString path)
    {
        foreach (var (prefix, feature) in Areas)
        {
            if (path.StartsWithSegments(prefix, StringComparison.OrdinalIgnoreCase))
            {
                return feature;
            }
        }

        return null;
    }

    /// <summary>The fallback of every route: 501 for a known Daytona feature we lack, else 404.</summary>
    public static Task AnswerAsync(HttpContext context) => FeatureOf(context.Request.Path) is { } feature
        ? DaemonPipeline.WriteErrorAsync(
            context, StatusCodes.Status501NotImplemented, "NOT_IMPLEMENTED", $"{feature} is not supported by SandboxGrains yet: sandboxd, its in-sandbox daemon, lacks it")
        : DaemonPipeline.WriteErrorAsync(context, StatusCodes.Status404NotFound, "NOT_FOUND", $"no route {context.Request.Method} {context.Request.Path}");
}
