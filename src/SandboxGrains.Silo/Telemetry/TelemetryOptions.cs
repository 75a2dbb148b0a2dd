namespace SandboxGrains.Silo.Telemetry;

/// <summary>The <c>Telemetry</c> section: metrics (on by default, scraped at <c>/metrics</c>) and traces.</summary>
public sealed class TelemetryOptions
{
    public const string SectionName = "Telemetry";

    /// <summary>Metrics at <c>/metrics</c> and, with an OTLP endpoint, metrics, traces and logs sent there. Off: none of it.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// Record traces. Unset: only when they have somewhere to go (<c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set), since a
    /// span nobody reads still costs every request its making.
    /// </summary>
    public bool? Tracing { get; set; }

    /// <summary>Where the Prometheus text is served; empty: not at all (OTLP only).</summary>
    public string MetricsPath { get; set; } = "/metrics";
}
