using System.Diagnostics;
using Microsoft.Extensions.Logging.Console;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using SandboxGrains.Silo.Previews;
using SandboxGrains.Telemetry;

namespace SandboxGrains.Silo.Telemetry;

/// <summary>
/// OpenTelemetry for the silo: our meter and trace source (<see cref="SandboxGrainsTelemetry"/>), Orleans' and ASP.NET
/// Core's, the runtime's; Prometheus text at <see cref="TelemetryOptions.MetricsPath"/>; OTLP for all three signals when
/// the standard <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set. Logs carry the trace and span ids in their scope (the JSON
/// console formatter prints scopes). A preview link's token is in its URL, so ASP.NET Core's server span is scrubbed of
/// it before anyone exports it.
/// </summary>
internal static class TelemetryHosting
{
    /// <summary>Log categories that write a request's path or host (and so a preview link's token): never enabled.</summary>
    internal static readonly string[] PathLoggingCategories =
    [
        "Microsoft.AspNetCore.Hosting.Diagnostics",
        "Microsoft.AspNetCore.Routing.Matching.DfaMatcher",
    ];

    /// <summary>The standard variable (also a configuration key) that turns OTLP export on.</summary>
    public const string OtlpEndpointKey = "OTEL_EXPORTER_OTLP_ENDPOINT";

    public static WebApplicationBuilder AddSandboxGrainsTelemetry(this WebApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        var options = configuration.GetSection(TelemetryOptions.SectionName).Get<TelemetryOptions>() ?? new TelemetryOptions();
        builder.Services.AddOptions<TelemetryOptions>().BindConfiguration(TelemetryOptions.SectionName)
            .Validate(o => o.MetricsPath.Length == 0 || (o.MetricsPath.StartsWith('/') && !o.MetricsPath.Contains('?')), "Telemetry:MetricsPath must be a path starting with / (default /metrics), or empty to serve none.")
            .ValidateOnStart();
        builder.Services.AddSingleton<SandboxCensus>();

        // Every log written inside a request or a grain call names its trace; the JSON formatter shows it (and the
        // sandbox a grain call is about), the plain one stays one line per message.
        builder.Logging.Configure(logging => logging.ActivityTrackingOptions = ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId);
        builder.Services.Configure<JsonConsoleFormatterOptions>(json => json.IncludeScopes = true);

        // A preview link's path and host hold its token. ASP.NET Core writes the request's path into a scope for every log
        // written while the request runs (whenever its hosting category is enabled at any level) and into its own
        // request and route-matching messages. Those categories are off for every provider, after configuration, so no
        // logging setting (a provider-specific one wins over a general rule) can turn them back on.
        builder.Services.AddOptions<LoggerFilterOptions>().PostConfigure<IEnumerable<ILoggerProvider>>((filters, providers) =>
        {
            foreach (var category in PathLoggingCategories)
            {
                filters.Rules.Add(new LoggerFilterRule(null, category, LogLevel.None, null));
                foreach (var provider in providers)
                {
                    filters.Rules.Add(new LoggerFilterRule(provider.GetType().FullName, category, LogLevel.None, null));
                }
            }
        });

        if (!options.Enabled)
        {
            return builder;
        }

        builder.Services.AddHostedService<ClusterGauges>();
        var otlp = !string.IsNullOrEmpty(configuration[OtlpEndpointKey]);
        var domain = configuration.GetSection(PreviewOptions.SectionName).Get<PreviewOptions>()?.Domain ?? new PreviewOptions().Domain;
        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("sandboxgrains", serviceInstanceId: configuration["Runner:Id"] ?? Environment.MachineName))
            .WithMetrics(metrics => metrics
                .AddMeter(SandboxGrainsTelemetry.Name, "Microsoft.Orleans")
                .AddAspNetCoreInstrumentation()
                .AddRuntimeInstrumentation()
                .AddPrometheusExporter());

        if (options.Tracing ?? otlp)
        {
            var relayPorts = Forwarding.Relay.RelayOptions.Read(configuration).ListenUrls.Select(url => url.Port).ToHashSet();
            telemetry.WithTracing(tracing => tracing
                .AddSource(SandboxGrainsTelemetry.Name, Orleans.Diagnostics.ActivitySources.ApplicationGrainActivitySourceName, Orleans.Diagnostics.ActivitySources.RuntimeActivitySourceName)
                .AddAspNetCoreInstrumentation(aspNetCore =>
                {
                    // A relay tunnel is one request as long as the connection it carries: its traffic has spans of its own
                    // on the silo that forwards it.
                    aspNetCore.Filter = context => !IsProbe(context.Request.Path, options) && !relayPorts.Contains(context.Connection.LocalPort);
                    aspNetCore.EnrichWithHttpRequest = (activity, request) => Scrub(activity, request, domain);
                }));
        }

        if (otlp)
        {
            telemetry.UseOtlpExporter();
        }

        return builder;
    }

    /// <summary>Grain calls carry the caller's trace, so a create is one trace from the API to the runner's Docker calls.</summary>
    public static ISiloBuilder AddSandboxGrainsTracing(this ISiloBuilder silo) => silo.AddActivityPropagation();

    /// <summary>Maps <c>/metrics</c> (unless turned off); like the health probes it needs no key and shows no secret.</summary>
    public static WebApplication MapMetrics(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<IOptions<TelemetryOptions>>().Value;
        if (options.Enabled && !string.IsNullOrEmpty(options.MetricsPath))
        {
            app.MapPrometheusScrapingEndpoint(options.MetricsPath);
        }

        return app;
    }

    private static bool IsProbe(PathString path, TelemetryOptions options) =>
        path.StartsWithSegments("/healthz") || path.StartsWithSegments("/readyz") || (options.MetricsPath.Length > 0 && path.StartsWithSegments(options.MetricsPath));

    /// <summary>A preview's token in its path (<c>/preview/{token}/…</c>) or host (<c>{port}-{token}.{domain}</c>) never leaves the span.</summary>
    private static void Scrub(Activity activity, HttpRequest request, string domain)
    {
        var path = request.Path.Value ?? "";
        if (path.StartsWith("/preview/", StringComparison.OrdinalIgnoreCase))
        {
            var rest = path.IndexOf('/', "/preview/".Length);
            activity.SetTag("url.path", "/preview/{token}" + (rest < 0 ? "" : path[rest..]));
        }

        if (PreviewLinks.TryParseHost(request.Host.Host, domain, out var port, out _))
        {
            activity.SetTag("server.address", $"{port}-{{token}}.{domain}");
        }
    }
}
