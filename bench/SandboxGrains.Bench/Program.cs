using System.Globalization;
using System.Text;
using SandboxGrains.Bench;
using SandboxGrains.Testing;

// dotnet run -c Release --project bench/SandboxGrains.Bench -- [--quick] [--only preview,daemon] [--out FILE]
// Starts what it needs (embedded silos, containers, nginx), measures each figure against its baseline in the same run,
// and writes a markdown report (default docs/benchmarks.md). Needs Docker, wrk and nginx (docs/benchmarks.md says how).
var options = BenchOptions.Parse(args);
foreach (var tool in new[] { "wrk", "nginx", "docker" })
{
    if ((await ProcessRunner.RunAsync("sh", ["-c", $"command -v {tool}"])).ExitCode != 0)
    {
        Console.Error.WriteLine($"{tool} is missing: apt-get install wrk nginx-light docker.io (see docs/benchmarks.md)");
        return 2;
    }
}

await ProcessRunner.RunAsync("bash", [Path.Combine(RepositoryPaths.Root, "tools", "build-images.sh"), "busybox", "base", "bench"], TimeSpan.FromMinutes(15));
var started = DateTimeOffset.UtcNow;
var measurements = new List<Measurement>();
if (options.Wants("daemon"))
{
    Console.WriteLine("daemon: bundle size, exec to first /version, idle RSS");
    measurements.AddRange(await new DaemonBench(options).RunAsync());
}

if (options.Wants("preview"))
{
    Console.WriteLine("preview: throughput and latency against direct, daemon hop and nginx");
    measurements.AddRange(await new PreviewBench(options).RunAsync());
}

var report = await Report.WriteAsync(measurements, options, started);
var outFile = Path.GetFullPath(options.OutFile ?? Path.Combine(RepositoryPaths.Root, "docs", "benchmarks.md"));
await File.WriteAllTextAsync(outFile, report, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
Console.WriteLine(report);
Console.WriteLine($"written to {outFile} in {(DateTimeOffset.UtcNow - started).TotalSeconds.ToString("0", CultureInfo.InvariantCulture)} s");
return 0;
