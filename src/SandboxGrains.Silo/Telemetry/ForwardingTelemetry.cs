using System.Diagnostics;
using System.Diagnostics.Metrics;
using SandboxGrains.Http.Http1;
using SandboxGrains.Silo.Forwarding;
using SandboxGrains.Telemetry;

namespace SandboxGrains.Silo.Telemetry;

/// <summary>
/// What the front end measures of the traffic it forwards to sandboxes: each preview or toolbox request's duration and
/// status, the bytes sent and received on the connections to sandboxes, and a span per forward naming the sandbox and
/// port. The token of a preview link never reaches any of them (ASP.NET Core's own span is scrubbed of it in
/// <see cref="TelemetryHosting"/>).
/// </summary>
internal static class ForwardingTelemetry
{
    public const string Preview = "preview";
    public const string Toolbox = "toolbox";

    private static readonly Histogram<double> Duration = SandboxGrainsTelemetry.Meter.CreateHistogram(
        "sandboxgrains.forward.duration", unit: "s", description: "Preview and toolbox requests forwarded to sandboxes: time to the end of the answer, by route and status.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] });

    private static readonly Counter<long> Bytes = SandboxGrainsTelemetry.Meter.CreateCounter<long>(
        "sandboxgrains.forward.bytes", unit: "By", description: "Bytes written to and read from sandboxes by preview links and the toolbox.");

    private static readonly KeyValuePair<string, object?> ToSandbox = new(SandboxGrainsTelemetry.Direction, "to_sandbox");
    private static readonly KeyValuePair<string, object?> FromSandbox = new(SandboxGrainsTelemetry.Direction, "from_sandbox");

    /// <summary>Counts the bytes of every connection to a sandbox.</summary>
    public static Http1Traffic Traffic { get; } = new(sent => Bytes.Add(sent, ToSandbox), received => Bytes.Add(received, FromSandbox));

    public static string RouteOf(ForwardTarget target) => target.AppPort is null ? Toolbox : Preview;

    /// <summary>A span for one forward (null when nobody listens), with the sandbox and, for a preview, the port.</summary>
    public static Activity? StartForward(ForwardTarget target)
    {
        var activity = SandboxGrainsTelemetry.Source.StartActivity($"forward {RouteOf(target)}", ActivityKind.Client);
        if (activity is not null)
        {
            activity.SetTag(SandboxGrainsTelemetry.SandboxId, target.SandboxId);
            activity.SetTag(SandboxGrainsTelemetry.Route, RouteOf(target));
            if (target.AppPort is { } port)
            {
                activity.SetTag(SandboxGrainsTelemetry.Port, port);
            }
        }

        return activity;
    }

    public static void RecordForward(ForwardTarget target, long startedAt, int status) =>
        Duration.Record(
            Stopwatch.GetElapsedTime(startedAt).TotalSeconds,
            new(SandboxGrainsTelemetry.Route, RouteOf(target)),
            new("http.response.status_code", status));
}
