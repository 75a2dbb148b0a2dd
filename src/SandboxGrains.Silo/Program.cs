using SandboxGrains.Silo.Api;
using SandboxGrains.Silo.Health;
using SandboxGrains.Silo.Hosting;

var builder = WebApplication.CreateBuilder(args);

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
