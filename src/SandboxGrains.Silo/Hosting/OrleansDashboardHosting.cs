using System.Net.Http.Headers;
using System.Text;
using Orleans.Dashboard;
using SandboxGrains.Silo.Api;

namespace SandboxGrains.Silo.Hosting;

/// <summary>
/// Orleans' own dashboard (silos, grains, calls, reminders) at <see cref="Path"/> when <c>OrleansDashboard:Enabled</c> is
/// true; off by default, since its call profiling costs every grain call a little. A browser cannot put a key in a
/// header, so besides the API's <c>Authorization: Bearer</c> the path takes HTTP Basic with any user name and an API key
/// as the password: the browser asks once and keeps it for the tab, and the key never goes in a URL.
/// </summary>
internal static class OrleansDashboardHosting
{
    public const string Path = "/orleans";

    public const string EnabledKey = "OrleansDashboard:Enabled";

    public static ISiloBuilder AddOrleansDashboardWhenEnabled(this ISiloBuilder silo, IConfiguration configuration)
    {
        if (configuration.GetValue<bool>(EnabledKey))
        {
            silo.AddDashboard();
        }

        return silo;
    }

    public static WebApplication MapOrleansDashboardWhenEnabled(this WebApplication app)
    {
        if (!app.Configuration.GetValue<bool>(EnabledKey))
        {
            return app;
        }

        var keys = app.Services.GetRequiredService<ApiKeyStore>();
        app.UseWhen(context => context.Request.Path.StartsWithSegments(Path), dashboard => dashboard.Use(async (context, next) =>
        {
            if (ApiKeyFilter.HasValidKey(context.Request, keys) || HasBasicKey(context.Request, keys))
            {
                await next(context);
                return;
            }

            context.Response.Headers.WWWAuthenticate = "Basic realm=\"SandboxGrains (any user name, an API key as the password)\", charset=\"UTF-8\"";
            await Problems.Unauthorized().ExecuteAsync(context);
        }));
        app.MapOrleansDashboard(Path).ExcludeFromDescription();
        return app;
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
