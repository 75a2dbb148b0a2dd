using System.Globalization;

namespace SandboxGrains.Bench;

/// <summary>
/// One figure of the report: ours and the baseline, each the median of its rounds (min–max kept), and their ratio.
/// <see cref="HigherIsBetter"/> says which way the ratio reads.
/// </summary>
internal sealed record Measurement(string Section, string Name, string Unit, IReadOnlyList<double> Ours, string BaselineName, IReadOnlyList<double>? Baseline, bool HigherIsBetter, string? Note = null)
{
    public double OursMedian => Median(Ours);

    public double? BaselineMedian => Baseline is { Count: > 0 } b ? Median(b) : null;

    /// <summary>Ours / baseline.</summary>
    public double? Ratio => BaselineMedian is { } b && b != 0 ? OursMedian / b : null;

    public static double Median(IReadOnlyList<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    /// <summary>The value below which <paramref name="fraction"/> of the samples fall (nearest rank).</summary>
    public static double Percentile(IReadOnlyList<double> values, double fraction)
    {
        var sorted = values.Order().ToArray();
        return sorted[Math.Clamp((int)Math.Ceiling(fraction * sorted.Length) - 1, 0, sorted.Length - 1)];
    }

    public static string Format(double value) => value switch
    {
        >= 1000 => value.ToString("N0", CultureInfo.InvariantCulture),
        >= 100 => value.ToString("0", CultureInfo.InvariantCulture),
        >= 10 => value.ToString("0.0", CultureInfo.InvariantCulture),
        _ => value.ToString("0.00", CultureInfo.InvariantCulture),
    };

    public static string Spread(IReadOnlyList<double> values) =>
        values.Count < 2 ? Format(values[0]) : $"{Format(Median(values))} ({Format(values.Min())}–{Format(values.Max())})";
}
