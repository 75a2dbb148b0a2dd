using System.Globalization;
using SandboxGrains.Testing;

namespace SandboxGrains.Bench;

/// <summary>Debian's <c>wrk</c>: a fixed-duration HTTP load against loopback or a container, with latency percentiles.</summary>
internal static class Wrk
{
    public sealed record Result(double RequestsPerSecond, double P50Ms, double P99Ms, long Errors);

    public static async Task<Result> RunAsync(string url, TimeSpan duration, int connections, IReadOnlyDictionary<string, string>? headers = null)
    {
        List<string> arguments = ["-t", "2", "-c", connections.ToString(CultureInfo.InvariantCulture), "-d", $"{(int)duration.TotalSeconds}s", "--latency", "--timeout", "5s"];
        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            arguments.AddRange(["-H", $"{name}: {value}"]);
        }

        arguments.Add(url);
        var run = await ProcessRunner.RunAsync("wrk", arguments, duration + TimeSpan.FromSeconds(30));
        if (run.ExitCode != 0)
        {
            throw new InvalidOperationException($"wrk {url} failed ({run.ExitCode}): {run.Stderr}{run.Stdout}");
        }

        return Parse(run.Stdout);
    }

    internal static Result Parse(string output)
    {
        double rps = 0, p50 = 0, p99 = 0;
        long errors = 0;
        foreach (var raw in output.Split('\n'))
        {
            var line = raw.Trim();
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (line.StartsWith("Requests/sec:", StringComparison.Ordinal))
            {
                rps = double.Parse(parts[1], CultureInfo.InvariantCulture);
            }
            else if (parts is ["50%", var fifty])
            {
                p50 = Milliseconds(fifty);
            }
            else if (parts is ["99%", var ninetyNine])
            {
                p99 = Milliseconds(ninetyNine);
            }
            else if (line.StartsWith("Non-2xx or 3xx responses:", StringComparison.Ordinal))
            {
                errors += long.Parse(parts[^1], CultureInfo.InvariantCulture);
            }
            else if (line.StartsWith("Socket errors:", StringComparison.Ordinal))
            {
                errors += line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Split(',')
                    .Sum(p => long.Parse(p.Trim().Split(' ')[^1], CultureInfo.InvariantCulture));
            }
        }

        return new Result(rps, p50, p99, errors);
    }

    private static double Milliseconds(string value)
    {
        var unit = value.TrimStart("0123456789.".ToCharArray());
        var number = double.Parse(value[..^unit.Length], CultureInfo.InvariantCulture);
        return unit switch
        {
            "us" => number / 1000,
            "ms" => number,
            "s" => number * 1000,
            "m" => number * 60_000,
            _ => throw new FormatException($"unknown wrk time unit in {value}"),
        };
    }
}
