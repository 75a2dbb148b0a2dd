using Microsoft.Extensions.FileProviders;

namespace SandboxGrains.Silo.Dashboard;

/// <summary>
/// The web dashboard: <c>GET /</c> is its page and <c>/dashboard/…</c> its scripts and styles, static files embedded in
/// this assembly (no build step, nothing to deploy beside the binary). The page talks to <c>/api/v1</c> and
/// <c>/toolbox</c> with the API key the person types in, so it needs no server-side state and no route of its own beyond
/// these. Every other path keeps answering as before.
/// </summary>
internal static class DashboardHosting
{
    /// <summary>Where the dashboard's own files live; a prefix no other route uses.</summary>
    internal const string AssetsPath = "/dashboard";

    /// <summary>
    /// Same-origin scripts, styles and fetches only, nothing inline, never framed (path-form preview links share this
    /// origin, and a preview app must not be able to frame the page that holds the key), no form posts anywhere (the
    /// sign-in form is handled by script; should the script fail, the key still must not leave in a submission).
    /// </summary>
    internal const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
        "object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    /// <summary>Serves <c>/</c> and the files under <see cref="AssetsPath"/>; call it after the host-form preview middleware.</summary>
    public static WebApplication MapDashboard(this WebApplication app)
    {
        var files = new ManifestEmbeddedFileProvider(typeof(DashboardHosting).Assembly, "Dashboard/wwwroot");

        // Static files does the content types, ETags and conditional requests. It only looks at paths under its
        // RequestPath, and a missing file falls through to the usual 404.
        app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = files,
            RequestPath = AssetsPath,
            OnPrepareResponse = context => AddHeaders(context.Context.Response),
        });

        app.MapMethods("/", [HttpMethods.Get, HttpMethods.Head], (HttpContext context) =>
        {
            var index = files.GetFileInfo("index.html");
            AddHeaders(context.Response);
            return TypedResults.Stream(index.CreateReadStream(), "text/html; charset=utf-8", lastModified: index.LastModified);
        }).ExcludeFromDescription();
        return app;
    }

    private static void AddHeaders(HttpResponse response)
    {
        var headers = response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "no-referrer";

        // A new silo version must reach open tabs at their next load; revalidating costs a 304.
        headers.CacheControl = "no-cache";
    }
}
