using System.Diagnostics;
using System.Globalization;
using SandboxGrains.Testing;

namespace SandboxGrains.Bench;

/// <summary>
/// Where the preview link's distance to nginx comes from (issue 5's 0.9× target), measured rather than argued: the
/// same app behind a preview link, behind nginx, and behind two minimal forwarders with none of the product's code
/// (<c>bench/SandboxGrains.Bench.Ceiling</c>) — a bare TCP relay and Kestrel with a hand-written forward — each with .NET's
/// default socket scheduling (continuations on the thread pool, as in the silo) and with inline completions (on the
/// epoll threads; Kestrel's <c>UnsafePreferInlineScheduling</c>). Not part of <c>--all</c>: a diagnosis, not a target.
/// </summary>
internal sealed class CeilingBench(BenchOptions options)
{
    public async Task<IReadOnlyList<Measurement>> RunAsync()
    {
        await using var silo = await BenchSilo.StartAsync(new Dictionary<string, string>());
        var app = await PreviewBench.StartAppAsync(silo.Client);
        await using var nginx = await HostNginx.StartAsync(app.Address);
        await using var relay = await CeilingServer.StartAsync("relay", app.Address, inline: false);
        await using var relayInline = await CeilingServer.StartAsync("relay", app.Address, inline: true);
        await using var forward = await CeilingServer.StartAsync("forward", app.Address, inline: false);
        await using var forwardInline = await CeilingServer.StartAsync("forward", app.Address, inline: true);

        var cases = new (string Name, string Url)[]
        {
            ("nginx", $"{nginx.BaseUrl}/"),
            ("preview", app.PreviewUrl),
            ("relay", relay.BaseUrl),
            ("relay-inline", relayInline.BaseUrl),
            ("forward", forward.BaseUrl),
            ("forward-inline", forwardInline.BaseUrl),
        };
        foreach (var (_, url) in cases)
        {
            await Wrk.RunAsync(url, TimeSpan.FromSeconds(2), options.Connections);
        }

        var results = cases.ToDictionary(c => c.Name, _ => new List<double>());
        for (var round = 0; round < options.Rounds; round++)
        {
            foreach (var (name, url) in cases)
            {
                var result = await Wrk.RunAsync(url, options.LoadDuration, options.Connections);
                if (result.Errors > 0)
                {
                    throw new InvalidOperationException($"{name}: {result.Errors} failed requests; the measurement would be meaningless");
                }

                results[name].Add(result.RequestsPerSecond);
                Console.WriteLine($"  round {round + 1} {name}: {result.RequestsPerSecond:N0} req/s");
            }
        }

        const string Section = "Platform ceiling (diagnosis, --only ceiling)";
        Measurement VersusNginx(string name, string what, string? note = null) =>
            new(Section, $"requests/s, {what} vs nginx", "req/s", results[name], "nginx reverse proxy", results["nginx"], HigherIsBetter: true, note);
        return
        [
            VersusNginx("preview", "preview link (the product)", "target: ratio ≥ 0.9"),
            VersusNginx("relay", "bare TCP relay in .NET, default scheduling", "no HTTP at all: the floor of any .NET proxy"),
            VersusNginx("relay-inline", "bare TCP relay in .NET, inline completions"),
            VersusNginx("forward", "Kestrel + minimal hand-written forward, default scheduling", "no product code; what any Kestrel-hosted forwarder costs at least"),
            VersusNginx("forward-inline", "Kestrel + minimal hand-written forward, inline scheduling"),
        ];
    }

    /// <summary>One <c>SandboxGrains.Bench.Ceiling</c> process on a free loopback port.</summary>
    private sealed class CeilingServer : IAsyncDisposable
    {
        private readonly Process _process;

        private CeilingServer(Process process, string baseUrl)
        {
            _process = process;
            BaseUrl = baseUrl;
        }

        public string BaseUrl { get; }

        private static string Assembly => Path.Combine(
            RepositoryPaths.Root, "bench", "SandboxGrains.Bench.Ceiling", "bin", RepositoryPaths.Configuration, "net10.0", "SandboxGrains.Bench.Ceiling.dll");

        public static async Task<CeilingServer> StartAsync(string mode, string app, bool inline)
        {
            var port = FreePort.Next().ToString(CultureInfo.InvariantCulture);
            var info = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardError = true };
            foreach (var argument in new[] { Assembly, mode, port, app })
            {
                info.ArgumentList.Add(argument);
            }

            info.Environment["DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS"] = inline ? "1" : "0";
            var server = new CeilingServer(
                Process.Start(info) ?? throw new InvalidOperationException($"{Assembly} did not start"), $"http://127.0.0.1:{port}/");
            if (await HostNginx.AnswersAsync(server.BaseUrl, TimeSpan.FromSeconds(10)))
            {
                return server;
            }

            await server.DisposeAsync();
            throw new InvalidOperationException($"the ceiling {mode} on {server.BaseUrl} did not answer (is the bench built? {Assembly})");
        }

        public async ValueTask DisposeAsync()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }

            _process.Dispose();
        }
    }
}
