using System.Globalization;
using System.Text;
using SandboxGrains.Bench;
using SandboxGrains.Testing;

// dotnet run -c Release --project bench/SandboxGrains.Bench -- [--all] [--quick] [--only create,preview,...] [--out FILE]
// Starts what it needs (embedded silos, containers, nginx), measures each figure against its baseline in the same run,
// and writes a markdown report (default docs/benchmarks.md). Needs Docker, wrk and nginx (bench/README.md says how).
// --smoke measures one tiny case (toolbox execute vs docker exec) into --out FILE: CI's proof that the harness works.
var options = BenchOptions.Parse(args);
var tools = new List<string> { "docker" };
if (options.Wants("preview") || options.Wants("telemetry") || options.Wants("ceiling"))
{
    tools.AddRange(["wrk", "nginx"]);
}

if (options.Wants("cluster") || options.Wants("relay"))
{
    tools.AddRange(["wrk", "redis-server"]);
}

if (options.Wants("images"))
{
    tools.Add("docker-registry");
}

foreach (var tool in tools.Distinct())
{
    if ((await ProcessRunner.RunAsync("sh", ["-c", $"command -v {tool}"])).ExitCode != 0)
    {
        Console.Error.WriteLine($"{tool} is missing: apt-get install wrk nginx-light redis-server docker.io docker-registry (see bench/README.md)");
        return 2;
    }
}

string[] images = options.Wants("preview") || options.Wants("telemetry") || options.Wants("cluster") || options.Wants("relay") || options.Wants("ceiling") ? ["busybox", "base", "bench"] : ["busybox"];
var built = await ProcessRunner.RunAsync("bash", [Path.Combine(RepositoryPaths.Root, "tools", "build-images.sh"), .. images], TimeSpan.FromMinutes(15));
if (built.ExitCode != 0)
{
    Console.Error.WriteLine($"building the images failed: {built.Stderr}");
    return 1;
}

var started = DateTimeOffset.UtcNow;
var measurements = new List<Measurement>();
if (options.Wants("daemon"))
{
    Console.WriteLine("daemon: bundle size, exec to first /version, idle RSS");
    measurements.AddRange(await new DaemonBench(options).RunAsync());
}

// Create to ready, toolbox execute and file transfer share one embedded silo; preview and scale start their own.
if (options.Wants("create") || options.Wants("first-command") || options.Wants("archive") || options.Wants("toolbox") || options.Wants("files"))
{
    await using var silo = await BenchSilo.StartAsync(new Dictionary<string, string>());
    if (options.Wants("create"))
    {
        Console.WriteLine($"create: API call to ready vs docker run + exec, {options.CreateCount} each");
        measurements.AddRange(await new CreateBench(options, silo).RunAsync());
    }

    if (options.Wants("first-command"))
    {
        Console.WriteLine("first-command: create call to first command done; cold, from a warm pool, and docker run + exec");
        measurements.AddRange(await new FirstCommandBench(options, silo).RunAsync());
    }

    if (options.Wants("archive"))
    {
        Console.WriteLine("archive: archive and restore of a sandbox with 100 MB written vs docker commit + docker run");
        measurements.AddRange(await new ArchiveBench(options, silo).RunAsync());
    }

    var toolbox = new ToolboxBench(options, silo);
    if (options.Wants("toolbox"))
    {
        Console.WriteLine("toolbox: execute round trips vs docker exec");
        measurements.AddRange(await toolbox.ExecuteAsync());
    }

    if (options.Wants("files"))
    {
        Console.WriteLine($"files: {options.TransferMb} MB up and down through the toolbox vs docker cp");
        measurements.AddRange(await toolbox.FilesAsync());
    }
}

if (options.Wants("images"))
{
    Console.WriteLine("images: a create that pulls, a snapshot (commit + push) and a create from it, against docker pull/commit/push on a loopback registry");
    measurements.AddRange(await new ImageBench(options).RunAsync());
}

if (options.Wants("preview"))
{
    Console.WriteLine("preview: throughput and latency against direct, daemon hop and nginx");
    measurements.AddRange(await new PreviewBench(options).RunAsync());
}

if (options.Wants("telemetry"))
{
    Console.WriteLine("telemetry: preview throughput and create time with telemetry as shipped, with traces recording, and off");
    measurements.AddRange(await new TelemetryBench(options).RunAsync());
}

if (options.Wants("scale"))
{
    Console.WriteLine($"scale: {options.ScaleCount} sandboxes");
    measurements.AddRange(await new ScaleBench(options).RunAsync());
}

if (options.Wants("cluster"))
{
    Console.WriteLine("cluster: one runner silo and two front-end silos on a private Redis");
    measurements.AddRange(await new ClusterBench(options).RunAsync());
}

if (options.Wants("relay"))
{
    Console.WriteLine("relay: preview throughput and latency from another silo through the runner's relay vs straight from the runner's silo");
    measurements.AddRange(await new RelayBench(options).RunAsync());
}

if (options.Wants("ceiling"))
{
    Console.WriteLine("ceiling: a preview link, nginx and minimal .NET forwarders with none of the product's code, on the same app");
    measurements.AddRange(await new CeilingBench(options).RunAsync());
}

var report = await Report.WriteAsync(measurements, options, started);
var outFile = Path.GetFullPath(options.OutFile ?? Path.Combine(RepositoryPaths.Root, "docs", "benchmarks.md"));
await File.WriteAllTextAsync(outFile, report, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
Console.WriteLine(report);
Console.WriteLine($"written to {outFile} in {(DateTimeOffset.UtcNow - started).TotalSeconds.ToString("0", CultureInfo.InvariantCulture)} s");
return 0;
