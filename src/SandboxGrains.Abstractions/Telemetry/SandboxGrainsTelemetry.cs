using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace SandboxGrains.Telemetry;

/// <summary>
/// The one trace source and the one meter every part of the product records to, so a silo subscribes to both names and
/// sees everything (API, grains, runner, Docker, front end). Attribute names are defined here too; none of them ever
/// carries a secret: sandbox ids, runner ids, ports, operations and outcomes only — never a preview token, an API key or
/// a daemon secret.
/// </summary>
public static class SandboxGrainsTelemetry
{
    /// <summary>The name of <see cref="Source"/> and <see cref="Meter"/>.</summary>
    public const string Name = "SandboxGrains";

    public static readonly ActivitySource Source = new(Name);

    public static readonly Meter Meter = new(Name);

    public const string SandboxId = "sandboxgrains.sandbox.id";
    public const string RunnerId = "sandboxgrains.runner.id";
    public const string ContainerId = "sandboxgrains.container.id";
    public const string Operation = "sandboxgrains.operation";
    public const string Outcome = "sandboxgrains.outcome";
    public const string State = "sandboxgrains.sandbox.state";
    public const string Port = "sandboxgrains.port";
    public const string Route = "sandboxgrains.route";
    public const string Image = "sandboxgrains.image";
    public const string Resource = "sandboxgrains.resource";
    public const string EventType = "sandboxgrains.event.type";
    public const string Direction = "sandboxgrains.direction";

    /// <summary>OpenTelemetry's own name for an HTTP answer's status.</summary>
    public const string StatusCode = "http.response.status_code";

    /// <summary>An operation's outcome attribute: <c>ok</c>, or the error code it failed with (a bounded set).</summary>
    public const string Ok = "ok";
}
