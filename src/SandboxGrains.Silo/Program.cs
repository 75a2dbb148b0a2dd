using System.Text;
using SandboxGrains.Silo.Api;
using SandboxGrains.Silo.Dashboard;
using SandboxGrains.Silo.Daytona;
using SandboxGrains.Silo.Forwarding;
using SandboxGrains.Silo.Forwarding.Relay;
using SandboxGrains.Silo.Health;
using SandboxGrains.Silo.Hosting;
using SandboxGrains.Silo.Previews;
using SandboxGrains.Silo.Seeds;
using SandboxGrains.Silo.Telemetry;
using SandboxGrains.Silo.Toolbox;

// appsettings.json sits beside the binary; without this it is looked for in whatever folder the silo was started from.
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });

// Preview links pass an app's response headers on byte for byte, and apps do send bytes above ASCII (a raw UTF-8 file
// name in Content-Disposition), which Kestrel refuses by default. Latin-1 maps every byte to one char and back.
builder.WebHost.ConfigureKestrel(kestrel => kestrel.ResponseHeaderEncodingSelector = _ => Encoding.Latin1);

// Seed 002's YAML file, environment variables and flags, read first and turned into our settings.
builder.AddSeed002Configuration();
builder.AddSandboxGrainsOptions();
builder.AddSandboxGrainsSilo();
builder.AddLocalRunner();
builder.Services.AddSingleton<ApiKeyStore>();
builder.AddFrontEnd();
builder.Services.AddProblemDetails();
builder.Services.AddSandboxGrainsOpenApi();
builder.AddSandboxGrainsTelemetry();
builder.AddListeners(); // the API's, and Orleans' dashboard's and the runner relay's when they are on

var app = builder.Build();

app.UseStatusCodePages();

// The route table. Host-form preview links ({port}-{token}.{Previews:Domain}) come first and take every path on such
// a host; all other requests go by path.
app.UseRunnerRelay(); // a runner's relay for other silos (cluster mode), alone on its own listener (Silo:InternalUrls)
app.MapOrleansDashboardWhenEnabled(); // off by default; on its own listener, ahead of everything else there
app.UseDaytonaPreviewHosts(); // {port}-{sandboxId}.{Previews:Domain} with Daytona's preview token header
app.UsePreviewHosts();

// Only the event streams (ours, and Daytona's Socket.IO channel) accept WebSockets themselves; every other upgrade is
// forwarded to a sandbox untouched.
app.UseWhen(
    context => context.Request.Path.StartsWithSegments(SandboxGrains.Silo.Events.EventsApi.Path)
        || context.Request.Path.StartsWithSegments(DaytonaEventChannel.Path),
    events => events.UseWebSockets());
app.MapHealthEndpoints();
app.MapMetrics();
app.MapDashboard(); // the web dashboard: its page at / and its files under /dashboard/; everything else is the API's
app.MapApiReference();
app.MapSandboxGrainsApi();
app.MapDaytonaApi(); // Daytona's control-plane API at /api/sandbox…, for its unmodified SDKs (docs/daytona.md)
app.MapToolbox();
app.MapPreviews();
app.MapDaemonProxyWhenEnabled(); // seed 002's service, when DaemonProxy:Mode names its default target

return await StartupReport.RunAsync(app);
