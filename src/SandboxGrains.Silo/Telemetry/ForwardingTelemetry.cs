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

    /// <summary>One forward begins: its clock, and a span (none when nobody listens) with the sandbox and, for a preview, the port.</summary>
    public static Forward Start(ForwardTarget target)
    {
        var activity = SandboxGrainsTelemetry.Source.StartActivity(target.AppPort is null ? "forward toolbox" : "forward preview", ActivityKind.Client);
        if (activity is not null)
        {
            activity.SetTag(SandboxGrainsTelemetry.SandboxId, target.SandboxId);
            activity.SetTag(SandboxGrainsTelemetry.Route, RouteOf(target));
            if (target.AppPort is { } port)
            {
                activity.SetTag(SandboxGrainsTelemetry.Port, port);
            }
        }

        return new Forward(target, activity, Stopwatch.GetTimestamp());
    }

    /// <summary>A forward under way; <see cref="End"/> records it once its answer is known.</summary>
    public readonly record struct Forward(ForwardTarget Target, Activity? Span, long StartedAt)
    {
        /// <summary>
        /// Records the duration and status: our own refusal's status is set when its result runs, after this, so it is
        /// read from the result; an app's answer is on the response already; a forward that threw counts as a 500.
        /// </summary>
        public void End(HttpContext context, IResult? answer)
        {
            var status = answer is IStatusCodeHttpResult { StatusCode: { } refused } ? refused
                : answer is null ? StatusCodes.Status500InternalServerError
                : context.Response.StatusCode;
            var boxed = Box(status);
            Duration.Record(Stopwatch.GetElapsedTime(StartedAt).TotalSeconds, new(SandboxGrainsTelemetry.Route, RouteOf(Target)), new(SandboxGrainsTelemetry.StatusCode, boxed));
            if (Span is not null)
            {
                Span.SetTag(SandboxGrainsTelemetry.StatusCode, boxed);
                Span.Dispose();
            }
        }
    }

    // Status codes boxed once: a tag's value is an object, and this runs on every forwarded request.
    private static readonly object[] StatusBoxes = [.. Enumerable.Range(100, 500).Select(s => (object)s)];

    private static object Box(int status) => status is >= 100 and < 600 ? StatusBoxes[status - 100] : status;
}
