using System.Diagnostics;
using System.Globalization;

namespace SandboxGrains.Bench;

/// <summary>
/// Waits for the machine to go quiet between phases. Removing containers leaves work behind that no process owns (the
/// kernel tears network namespaces and mounts down in its own threads for seconds after <c>docker rm</c> returns), so
/// on two cores whichever phase runs next would pay for the one before. Not a timing: a fairness gate.
/// </summary>
internal static class Quiet
{
    private static readonly TimeSpan Window = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(15);

    /// <summary>Returns once a half-second window is at least 80 % idle, or after 15 s at most.</summary>
    public static async Task SettleAsync()
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < Limit)
        {
            var (busy0, idle0) = ReadCpu();
            await Task.Delay(Window);
            var (busy1, idle1) = ReadCpu();
            var total = busy1 - busy0 + idle1 - idle0;
            if (total > 0 && (idle1 - idle0) * 5 >= total * 4)
            {
                return;
            }
        }
    }

    // The first line of /proc/stat: cpu user nice system idle iowait irq softirq steal …, in clock ticks.
    private static (long Busy, long Idle) ReadCpu()
    {
        var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries)[1..]
            .Select(f => long.Parse(f, CultureInfo.InvariantCulture)).ToArray();
        var idle = fields[3] + fields[4];
        return (fields.Take(8).Sum() - idle, idle);
    }
}
