using System.Net.Http.Headers;
using System.Text;
using Orleans.Dashboard;
using SandboxGrains.Silo.Api;

namespace SandboxGrains.Silo.Hosting;

/// <summary>
/// Orleans' own dashboard (silos, grains, calls, reminders) when <c>OrleansDashboard:Enabled</c> is true; off by default,
/// since its call profiling costs every grain call a little. A browser cannot put a key in a header, so besides the API's
/// <c>Authorization: Bearer</c> it takes HTTP Basic with any user name and an API key as the password. A browser then
/// sends those credentials by itself to every page of that origin — and path-form preview links are pages of the API's
/// origin, written by whoever runs a sandbox. So the dashboard has an origin of its own: its own listener
/// (<c>OrleansDashboard:Url</c>), which serves nothing else.
/// </summary>
internal static class OrleansDashboardHosting
{
    public const string Path = "/orleans";

    private const string Section = "OrleansDashboard";

    private const string DefaultUrl = "http://localhost:5081";

    public static ISiloBuilder AddOrleansDashboardWhenEnabled(this ISiloBuilder silo, IConfiguration configuration)
    {
        if (Enabled(configuration))
        {
            silo.AddDashboard();
        }

        return silo;
    }

    /// <summary>The dashboard's listener, beside the API's (<see cref="Listeners"/>); null when the dashboard is off.</summary>
    public static string? ListenUrl(IConfiguration configuration) =>
        Enabled(configuration) ? DashboardUri(configuration).ToString().TrimEnd('/') : null;

    public static WebApplication MapOrleansDashboardWhenEnabled(this WebApplication app)
    {
        if (!Enabled(app.Configuration))
        {
            return app;
        }

        var port = DashboardUri(app.Configuration).Port;
        app.UseWhen(context => context.Connection.LocalPort == port, dashboard => dashboard.Use(async (context, next) =>
        {
            if (!context.Request.Path.StartsWithSegments(Path))
            {
                // Its origin holds the dashboard and nothing else: no preview page may share it.
                context.Response.Redirect(Path + "/");
                return;
            }

            var keys = context.RequestServices.GetRequiredService<ApiKeyStore>();
            if (ApiKeyFilter.HasValidKey(context.Request, keys) || HasBasicKey(context.Request, keys))
            {
                await next(context);
                return;
            }

            context.Response.Headers.WWWAuthenticate = "Basic realm=\"SandboxGrains (any user name, an API key as the password)\", charset=\"UTF-8\"";
            await Problems.Unauthorized().ExecuteAsync(context);
        }));
        app.MapOrleansDashboard(Path).RequireHost($"*:{port}").ExcludeFromDescription();
        return app;
    }

    private static bool Enabled(IConfiguration configuration) => configuration.GetValue<bool>($"{Section}:Enabled");

    private static Uri DashboardUri(IConfiguration configuration)
    {
        var url = configuration[$"{Section}:Url"] ?? DefaultUrl;
        return Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" && uri.AbsolutePath == "/"
            ? uri
            : throw new InvalidOperationException($"{Section}:Url must be an absolute http(s) URL with no path, such as {DefaultUrl}; it is '{url}'.");
    }

    private static bool HasBasicKey(HttpRequest request, ApiKeyStore keys)
    {
        if (!AuthenticationHeaderValue.TryParse(request.Headers.Authorization, out var header)
            || !string.Equals(header.Scheme, "Basic", StringComparison.OrdinalIgnoreCase) || header.Parameter is null)
        {
            return false;
        }

        try
        {
            var credentials = Encoding.UTF8.GetString(Convert.FromBase64String(header.Parameter));
            var colon = credentials.IndexOf(':', StringComparison.Ordinal);
            return colon >= 0 && keys.IsValid(credentials.AsSpan(colon + 1));
        }
        catch (FormatException)
        {
            return false;
        }
    }
}
