using SandboxGrains;
using SandboxGrains.Daemon;
using SandboxGrains.Daemon.CodeRun;
using SandboxGrains.Daemon.Files;
using SandboxGrains.Daemon.Git;
using SandboxGrains.Daemon.Http;
using SandboxGrains.Daemon.Ports;
using SandboxGrains.Daemon.Processes;
using SandboxGrains.Daemon.Proxy;
using SandboxGrains.Daemon.Pty;

if (args is [TerminalProgram.Flag, ..])
{
    // A terminal's program on its way to exec (the daemon started it): no daemon here.
    return TerminalProgram.Run(args[1..]);
}

var background = args is ["--background", ..];
var (options, error) = DaemonOptions.Parse(background ? args[1..] : args);
if (options is null)
{
    Console.Error.WriteLine($"sandboxd: {error}");
    Console.Error.WriteLine("usage: sandboxd [--background] --work-dir DIR [--port 2280] [--listen 127.0.0.1] [--token-file FILE [--token-stdin]] [--max-body-mb 4096] [-- command args...]");
    return 2;
}

if (background)
{
    // Started by `docker exec` (copy and none injection): run on as a copy of ourselves that holds none of the exec's
    // streams, so the exec ends now and its exit code tells the cluster whether the arguments were good.
    var pid = BackgroundLauncher.Start(args[1..]);
    Console.WriteLine($"sandboxd running in the background as pid {pid}");
    return 0;
}

Directory.CreateDirectory(options.WorkDir);
if (options.ListenAddress is null)
{
    // Seed 002's host mode runs the daemon on the host with --listen 127.0.0.1: nobody needs an introduction there.
    NeighbourAnnouncement.Send();
}

if (options.SecretOnStdin)
{
    options.Secret.ReadStandardInput();
}
else if (!options.Secret.IsKnown)
{
    Console.Error.WriteLine($"sandboxd: {options.Secret.SourceFile} does not exist yet; every request is refused until it holds the secret");
}

// The empty builder, not the slim one: no configuration sources (flags are the daemon's whole configuration, and a watched
// file would cost an inotify instance, of which the kernel allows 128 per user — every sandbox's daemon is root in the
// same user namespace) and no console logger; each of those is bundle size for nothing. Kestrel and routing without
// HTTPS or regex constraints.
var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
builder.WebHost.UseKestrelCore();
builder.WebHost.ConfigureKestrel(kestrel =>
{
    if (options.ListenAddress is { } address)
    {
        kestrel.Listen(address, options.Port);
    }
    else
    {
        kestrel.ListenAnyIP(options.Port);
    }

    kestrel.Limits.MaxRequestBodySize = options.MaxBodyBytes;
    kestrel.AddServerHeader = false;
    // /proxy passes the app's response headers on byte for byte, including bytes above ASCII (see the silo's Program.cs).
    kestrel.ResponseHeaderEncodingSelector = _ => System.Text.Encoding.Latin1;
});
builder.Services.AddRoutingCore();
builder.Logging.AddProvider(new StandardErrorLogger.Provider());
// An app that is not listening is an everyday answer (502 to the caller), not a daemon problem worth a stack trace.
builder.Logging.AddFilter("Yarp", LogLevel.Error);
builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(10));
builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, DaemonJson.Default));
builder.Services.AddSingleton(options);
builder.Services.AddSingleton<ProcessLauncher>();
builder.Services.AddSingleton<SessionStore>();
builder.Services.AddSingleton<GitRunner>();
builder.Services.AddSingleton<PtyStore>();
builder.Services.AddHostedService<EntrypointService>();
builder.Services.AddHostedService<OrphanReaper>();
builder.Services.AddHttpForwarder();

var app = builder.Build();
app.UseDaemonPipeline(options);

app.MapGet("/version", () => TypedResults.Json(new VersionDto(DaemonVersion.Current), DaemonJson.Default.VersionDto));
app.MapGet("/work-dir", () => TypedResults.Json(new DirDto(options.WorkDir), DaemonJson.Default.DirDto));
app.MapGet("/user-home-dir", () => TypedResults.Json(new DirDto(DaemonVersion.HomeDir()), DaemonJson.Default.DirDto));
app.MapGet("/project-dir", () => TypedResults.Json(new DirDto(DaemonVersion.HomeDir()), DaemonJson.Default.DirDto));
app.MapExecuteEndpoints();
app.MapCodeRunEndpoints();
app.MapEnvironmentEndpoints();
app.MapGitEndpoints();
app.MapPtyEndpoints();
app.MapSessionEndpoints();
app.MapFileEndpoints();
app.MapPortEndpoints();
app.MapPortProxy();
// Not part of Daytona's API: how the cluster hands a warm pool's sandbox to a caller (its environment for every later process).
app.MapPut(DaemonProtocol.ClaimPath, async (HttpContext context, ProcessLauncher launcher) =>
{
    try
    {
        if (await launcher.Claimed.SaveAsync(context.Request.Body, context.RequestAborted) is { } why)
        {
            await DaemonPipeline.WriteErrorAsync(context, StatusCodes.Status500InternalServerError, DaemonProtocol.Errors.ClaimNotWritable, why);
            return;
        }
    }
    catch (System.Text.Json.JsonException e)
    {
        await DaemonPipeline.WriteErrorAsync(context, StatusCodes.Status400BadRequest, "INVALID_CLAIM", e.Message);
        return;
    }

    context.Response.StatusCode = StatusCodes.Status204NoContent;
});
// Not part of Daytona's API: how the cluster takes its daemon back out of an adopted container.
app.MapPost(DaemonProtocol.ShutdownPath, (HttpContext context, IHostApplicationLifetime lifetime) =>
{
    if (Environment.ProcessId == 1)
    {
        return DaemonPipeline.WriteErrorAsync(
            context, StatusCodes.Status409Conflict, "DAEMON_IS_INIT", "sandboxd is this container's init process; stop the container instead");
    }

    context.Response.OnCompleted(() => { lifetime.StopApplication(); return Task.CompletedTask; });
    context.Response.StatusCode = StatusCodes.Status202Accepted;
    return Task.CompletedTask;
});
app.MapFallback(UnservedRoutes.AnswerAsync);

await app.RunAsync();
return 0;
