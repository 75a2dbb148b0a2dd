using SandboxGrains.Silo.Api;
using SandboxGrains.Silo.Runners;

namespace SandboxGrains.Silo.Hosting;

/// <summary>Runs the app, turning configuration mistakes into a short list a person can act on instead of a stack trace.</summary>
internal static class StartupReport
{
    public static async Task<int> RunAsync(WebApplication app)
    {
        try
        {
            // Validate before the host starts anything (the silo would otherwise join the cluster first), and
            // before the key store exists (it generates and prints a key).
            app.Services.GetRequiredService<IStartupValidator>().Validate();
            app.Lifetime.ApplicationStarted.Register(() => PrintBanner(app, app.Services.GetRequiredService<ApiKeyStore>()));
            await app.RunAsync();
            return 0;
        }
        catch (Exception e) when (ValidationFailures(e) is { Count: > 0 } failures)
        {
            await Console.Error.WriteLineAsync("SandboxGrains cannot start: the configuration is not valid.");
            foreach (var failure in failures)
            {
                await Console.Error.WriteLineAsync($"  - {failure}");
            }

            await Console.Error.WriteLineAsync("Configuration comes from appsettings.json, environment variables (Section__Key) and flags (--Section:Key=value).");
            return 2;
        }
        catch (IOException e) when (e.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
        {
            await Console.Error.WriteLineAsync($"SandboxGrains cannot start: {e.Message}. Pick another port with --urls http://localhost:<port> (and --Orleans:Endpoints:SiloPort / GatewayPort for the silo's own ports).");
            return 3;
        }
    }

    /// <summary>Every options failure in <paramref name="e"/>; start-up validation aggregates one exception per options type.</summary>
    private static List<string> ValidationFailures(Exception e) => e switch
    {
        OptionsValidationException single => [.. single.Failures],
        AggregateException many => [.. many.InnerExceptions.SelectMany(ValidationFailures)],
        _ => [],
    };

    private static void PrintBanner(WebApplication app, ApiKeyStore keys)
    {
        var runner = app.Services.GetRequiredService<IOptions<RunnerOptions>>().Value;
        var url = app.Urls.FirstOrDefault() ?? Listeners.DefaultApiUrl;
        var keyNote = keys.KeyFile is null ? "configured API key(s)" : $"API key in {keys.KeyFile}";
        var runnerNote = runner.Enabled ? $"runner '{runner.Id}'" : "no runner (front-end/API-only silo)";
        Console.Out.WriteLine($"SandboxGrains silo listening on {url} with {runnerNote}; {keyNote}.");
        if (keys.OptionalOnLoopback)
        {
            Console.Out.WriteLine(
                $"No API key is asked of requests on loopback (seed 002's security.enabled: false): only this machine's users and processes reach {url}, and any of them can use the API" +
                (app.Configuration.GetSection(Seeds.DaemonProxyOptions.SectionName).Get<Seeds.DaemonProxyOptions>()?.IsHostMode == true
                    ? $", in host mode with the rights of user '{Environment.UserName}'."
                    : ".") +
                " On any other address a key is still required.");
        }

        var relay = app.Services.GetRequiredService<IOptions<Forwarding.Relay.RelayOptions>>().Value;
        if (relay.ServesRelay)
        {
            Console.Out.WriteLine(
                $"Other silos reach this runner's sandboxes through its relay on {string.Join(", ", relay.ListenUrls.Select(u => u.ToString().TrimEnd('/')))} (signed with Cluster:Secret).");
        }
        else if (relay is { ClusterMode: true, OwnsRunner: true, ContainerNetworkReachable: true })
        {
            Console.Out.WriteLine("Other silos reach this runner's sandboxes straight on the container network (Runner:ContainerNetworkReachable).");
        }

        if (relay is { ClusterMode: true, Secret: null })
        {
            Console.Out.WriteLine(
                "No Cluster:Secret: this silo cannot go through other runners' relays; sandboxes of runners that serve one will answer 502 here until it is set.");
        }
    }
}
