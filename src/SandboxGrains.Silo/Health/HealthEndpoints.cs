using Orleans.Runtime;
using SandboxGrains.Docker;
using SandboxGrains.Silo.Runners;

namespace SandboxGrains.Silo.Health;

/// <summary><c>/healthz</c> (the process answers) and <c>/readyz</c> (the silo is active and its runner reachable).</summary>
internal static class HealthEndpoints
{
    public static IEndpointRouteBuilder MapHealthEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/healthz", () => TypedResults.Ok(new { status = "up" })).WithSummary("The process answers (no key)");
        app.MapGet("/readyz", ReadyAsync).WithSummary("The silo is active in its cluster and its runner's engine answers (no key); 503 says why not");
        return app;
    }

    private static async Task<IResult> ReadyAsync(
        IClusterMembershipService membership,
        ILocalSiloDetails silo,
        IGrainFactory grains,
        IServiceProvider services,
        IOptions<RunnerOptions> runnerOptions,
        CancellationToken cancellationToken)
    {
        var problems = new List<string>();
        if (services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping.IsCancellationRequested)
        {
            problems.Add("the silo is shutting down");
        }

        var siloStatus = membership.CurrentSnapshot.GetSiloStatus(silo.SiloAddress);
        if (siloStatus != SiloStatus.Active)
        {
            problems.Add($"silo {silo.SiloAddress} is {siloStatus}, not active");
        }

        object? runner = null;
        var options = runnerOptions.Value;
        if (options.Enabled)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(3));
            // None in seed 002's host mode, whose runner is the host itself.
            var docker = services.GetService<IContainerRuntime>();
            string? dockerError = null;
            try
            {
                await (docker?.PingAsync(timeout.Token) ?? Task.CompletedTask);
            }
            catch (Exception e)
            {
                dockerError = e is ContainerRuntimeException ? e.Message : $"cannot reach Docker at {docker!.Endpoint}: {e.Message}";
                problems.Add(dockerError);
            }

            RunnerInfo? info = null;
            if (siloStatus == SiloStatus.Active)
            {
                try
                {
                    info = await grains.GetGrain<IRunnerGrain>(options.Id).GetInfoAsync(timeout.Token).WaitAsync(timeout.Token);
                    if (info.LastHeartbeat is null)
                    {
                        problems.Add($"runner {options.Id} has not registered yet");
                    }
                }
                catch (Exception e)
                {
                    problems.Add($"runner {options.Id} did not answer: {e.Message}");
                }
            }

            runner = new { id = options.Id, endpoint = docker?.Endpoint ?? Seeds.HostMode.HostRunner.ContainerId, status = info?.Status.ToString().ToLowerInvariant(), docker = dockerError ?? (docker is null ? "none" : "ok") };
        }

        var body = new
        {
            status = problems.Count == 0 ? "ready" : "unready",
            silo = silo.SiloAddress.ToString(),
            runner,
            problems,
        };
        return problems.Count == 0
            ? TypedResults.Json(body)
            : TypedResults.Json(body, statusCode: StatusCodes.Status503ServiceUnavailable);
    }
}
