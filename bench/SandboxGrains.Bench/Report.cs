using System.Globalization;
using System.Text;
using SandboxGrains.Testing;

namespace SandboxGrains.Bench;

/// <summary>The markdown report: machine facts, then one table per section with ours, the baseline and their ratio.</summary>
internal static class Report
{
    public static async Task<string> WriteAsync(IReadOnlyList<Measurement> measurements, BenchOptions options, DateTimeOffset started)
    {
        var text = new StringBuilder();
        text.AppendLine("# Benchmarks");
        text.AppendLine();
        var flags = options.Smoke ? " -- --smoke" : options.Quick ? " -- --quick" : "";
        text.AppendLine($"Written by `dotnet run -c Release --project bench/SandboxGrains.Bench{flags}`; do not edit by hand.");
        text.AppendLine("Every figure is measured against its baseline in the same run (this machine is shared and noisy, so only the");
        text.AppendLine("pairs and ratios mean much). Each value is the median of its rounds with min–max in brackets, rounds interleaved");
        text.AppendLine("between ours and the baseline. How to run it and what each figure means: `bench/README.md`.");
        text.AppendLine();
        text.AppendLine($"- date: {started:yyyy-MM-dd HH:mm} UTC");
        text.AppendLine($"- machine: {Environment.ProcessorCount} cores, {await MemoryGiBAsync():0.0} GiB, kernel {(await ProcessRunner.RunAsync("uname", ["-r"])).Stdout.Trim()}");
        var versions = $"Docker {await ProcessRunner.DockerAsync("version", "--format", "{{.Server.Version}}")}, .NET {Environment.Version}";
        if (options.Wants("preview"))
        {
            versions += $", wrk 4.1 (Debian), nginx {await NginxVersionAsync()}; load runs last {options.LoadDuration.TotalSeconds:0.#} s each with {options.Connections} connections (`wrk -t2`)";
        }

        text.AppendLine($"- {versions}");
        foreach (var section in measurements.GroupBy(m => m.Section))
        {
            text.AppendLine();
            text.AppendLine($"## {section.Key}");
            text.AppendLine();
            text.AppendLine("| measure | ours | baseline | baseline value | ours ÷ baseline | note |");
            text.AppendLine("|---|---|---|---|---|---|");
            foreach (var m in section)
            {
                var ratio = m.Ratio is { } r ? $"{r.ToString("0.00", CultureInfo.InvariantCulture)}× {(m.HigherIsBetter ? "(higher is better)" : "(lower is better)")}" : "";
                var baseline = m.Baseline is { Count: > 0 } b ? $"{Measurement.Spread(b)} {m.Unit}" : "";
                text.AppendLine($"| {m.Name} | {Measurement.Spread(m.Ours)} {m.Unit} | {m.BaselineName} | {baseline} | {ratio} | {m.Note} |");
            }
        }

        return text.ToString();
    }

    private static async Task<double> MemoryGiBAsync()
    {
        var line = (await File.ReadAllLinesAsync("/proc/meminfo")).First(l => l.StartsWith("MemTotal:", StringComparison.Ordinal));
        return double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / (1024 * 1024);
    }

    private static async Task<string> NginxVersionAsync() =>
        (await ProcessRunner.RunAsync("nginx", ["-v"])).Stderr.Trim().Replace("nginx version: nginx/", "", StringComparison.Ordinal);
}
