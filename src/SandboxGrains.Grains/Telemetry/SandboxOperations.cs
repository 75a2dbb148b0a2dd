using System.Diagnostics;
using System.Diagnostics.Metrics;
using SandboxGrains.Telemetry;

namespace SandboxGrains.Grains.Telemetry;

/// <summary>
/// Times a sandbox's operations (create, start, stop, delete, archive, claim) as one histogram with the operation and its
/// outcome (<c>ok</c> or the error code, a bounded set), and makes each a span carrying the sandbox id, so a create's
/// trace shows the grain's part between the API's request and the runner's Docker calls.
/// </summary>
internal static class SandboxOperations
{
    private static readonly Histogram<double> Duration = SandboxGrainsTelemetry.Meter.CreateHistogram(
        "sandboxgrains.sandbox.operation.duration", unit: "s", description: "How long a sandbox operation took, by operation and outcome.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300] });

    public static async Task<T> MeasureAsync<T>(string operation, string sandboxId, Func<Task<T>> work)
    {
        using var activity = SandboxGrainsTelemetry.Source.StartActivity($"sandbox {operation}");
        activity?.SetTag(SandboxGrainsTelemetry.SandboxId, sandboxId);
        var started = Stopwatch.GetTimestamp();
        var outcome = SandboxGrainsTelemetry.Ok;
        try
        {
            return await work();
        }
        catch (Exception e)
        {
            outcome = e is SandboxException failure ? failure.Code : "error";
            activity?.SetStatus(ActivityStatusCode.Error, outcome);
            throw;
        }
        finally
        {
            Duration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, new(SandboxGrainsTelemetry.Operation, operation), new(SandboxGrainsTelemetry.Outcome, outcome));
        }
    }

    public static Task MeasureAsync(string operation, string sandboxId, Func<Task> work) =>
        MeasureAsync(operation, sandboxId, async () =>
        {
            await work();
            return true;
        });
}
