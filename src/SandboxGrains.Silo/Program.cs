using SandboxGrains.Silo.Api;
using SandboxGrains.Silo.Health;
using SandboxGrains.Silo.Hosting;

// appsettings.json sits beside the binary; without this it is looked for in whatever folder the silo was started from.
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });

builder.AddSandboxGrainsOptions();
builder.AddSandboxGrainsSilo();
builder.AddLocalRunner();
builder.Services.AddSingleton<ApiKeyStore>();
builder.Services.AddProblemDetails();

var app = builder.Build();

app.UseStatusCodePages();
app.MapHealthEndpoints();
app.MapSandboxGrainsApi();

return await StartupReport.RunAsync(app);
