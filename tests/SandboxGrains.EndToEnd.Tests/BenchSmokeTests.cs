using System.Globalization;
using System.Text.RegularExpressions;

namespace SandboxGrains.EndToEnd.Tests;

/// <summary>
/// The benchmark harness's one CI check (issue 7): it starts, creates a real sandbox on its own embedded silo, measures
/// one tiny case against its baseline, and writes a report with real numbers in it. The figures themselves are not
/// judged here; they are a benchmark's, not a test's.
/// </summary>
public sealed class BenchSmokeTests
{
    [Fact]
    public async Task Harness_SmokeRun_MeasuresToolboxExecuteAgainstDockerExecAndWritesTheReport()
    {
        await Requirements.DockerAsync();
        var harness = Path.Combine(RepositoryPaths.Root, "bench", "SandboxGrains.Bench", "bin", RepositoryPaths.Configuration, "net10.0", "SandboxGrains.Bench.dll");
        Assert.True(File.Exists(harness), $"the harness is not built at {harness}");
        var report = Path.Combine(Path.GetTempPath(), $"sandboxgrains-bench-smoke-{Guid.NewGuid():N}.md");
        try
        {
            var run = await ProcessRunner.RunAsync("dotnet", [harness, "--smoke", "--out", report], TimeSpan.FromMinutes(3), TestContext.Current.CancellationToken);

            Assert.True(run.ExitCode == 0, $"the harness failed ({run.ExitCode}):\n{run.Stdout}\n{run.Stderr}");
            var text = await File.ReadAllTextAsync(report, TestContext.Current.CancellationToken);
            var row = Regex.Match(text, @"^\| echo round trips through /toolbox/\{id\}/process/execute \| (?<ours>[\d,.]+) .*?\| docker exec \| (?<docker>[\d,.]+) .*?\| (?<ratio>[\d.]+)×", RegexOptions.Multiline);
            Assert.True(row.Success, $"no measured row in the report:\n{text}");
            Assert.True(double.Parse(row.Groups["ours"].Value.Replace(",", "", StringComparison.Ordinal), CultureInfo.InvariantCulture) > 0);
            Assert.True(double.Parse(row.Groups["docker"].Value.Replace(",", "", StringComparison.Ordinal), CultureInfo.InvariantCulture) > 0);
            Assert.Contains("--smoke", text, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(report);
        }
    }
}
