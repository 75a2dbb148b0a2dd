using SandboxGrains.Silo.Api;
using SandboxGrains.Silo.Health;
using SandboxGrains.Silo.Hosting;
using SandboxGrains.Silo.Proxy;

// appsettings.json sits beside the binary; without this it is looked for in whatever folder the silo was started from.
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });

builder.AddSandboxGrainsOptions();
builder.AddSandboxGrainsSilo();
builder.AddLocalRunner();
builder.Services.AddSingleton<ApiKeyStore>();
builder.Services.AddHttpForwarder();
builder.Services.AddSingleton<DaemonForwarding>();
builder.Services.AddProblemDetails();

var app = builder.Build();

app.UseStatusCodePages();
app.MapHealthEndpoints();
app.MapSandboxGrainsApi();
app.MapToolbox();

return await StartupReport.RunAsync(app);
