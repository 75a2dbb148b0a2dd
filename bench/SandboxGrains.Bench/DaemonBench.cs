using System.Diagnostics;
using System.Globalization;
using SandboxGrains.Testing;

namespace SandboxGrains.Bench;

/// <summary>
/// The daemon's own numbers (issue 3, bench item 5): bundle size; time from exec to its first <c>/version</c> answer
/// inside busybox, once through nsenter into the container's namespaces (against exec of <c>true</c> the same way) and
/// once through <c>docker exec</c> (against a bare <c>docker exec true</c>); and idle memory.
/// </summary>
internal sealed class DaemonBench(BenchOptions options)
{
    private const string Token = "bench-daemon-token-0123456789";

    private static readonly string DaemonPort = DaemonProtocol.DefaultPort.ToString(System.Globalization.CultureInfo.InvariantCulture);

    public async Task<IReadOnlyList<Measurement>> RunAsync()
    {
        var bundle = Path.Combine(RepositoryPaths.Root, "artifacts", "sandboxd");
        if (!File.Exists(Path.Combine(bundle, "sandboxd")))
        {
            throw new InvalidOperationException($"no daemon bundle at {bundle}: dotnet publish src/SandboxGrains.Daemon -c Release");
        }

        var sizeBytes = Directory.EnumerateFiles(bundle, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
        var sizeMib = sizeBytes / (1024.0 * 1024.0);
        var name = $"sandboxgrains-bench-{Guid.NewGuid():N}"[..32];
        await ProcessRunner.DockerAsync("run", "-d", "--name", name, "-v", $"{bundle}:/opt/sandboxgrains:ro", "sandboxgrains/busybox:latest", "sleep", "3600");
        try
        {
            var ip = await ProcessRunner.DockerAsync("inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", name);
            using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false, ConnectTimeout = TimeSpan.FromMilliseconds(200) })
            {
                Timeout = TimeSpan.FromMilliseconds(500),
            };
            var rounds = Math.Max(options.Rounds, 5);
            List<double> toVersion = [], bareExec = [];
            for (var round = 0; round < rounds; round++)
            {
                var clock = Stopwatch.StartNew();
                await ProcessRunner.DockerAsync("exec", name, "true");
                bareExec.Add(clock.Elapsed.TotalMilliseconds);

                clock.Restart();
                await ProcessRunner.DockerAsync("exec", "-d", "-e", $"SANDBOXD_TOKEN={Token}", name, "/opt/sandboxgrains/sandboxd", "--work-dir", "/", "--port", DaemonPort);
                while (!await AnswersAsync(http, ip))
                {
                    if (clock.Elapsed > TimeSpan.FromSeconds(10))
                    {
                        throw new TimeoutException("the daemon did not answer /version within 10 s");
                    }

                    await Task.Delay(1);
                }

                toVersion.Add(clock.Elapsed.TotalMilliseconds);
                if (round < rounds - 1)
                {
                    await ProcessRunner.DockerAsync("exec", name, "sh", "-c", "kill $(pidof sandboxd); while pidof sandboxd >/dev/null; do sleep 0.05; done");
                }
            }

            // The same start without Docker's exec machinery: nsenter joins the container's namespaces (its root
            // filesystem, network and process tree) and executes the daemon there, as a process of the sandbox would.
            var pid = await ProcessRunner.DockerAsync("inspect", "-f", "{{.State.Pid}}", name);
            await ProcessRunner.DockerAsync("exec", name, "sh", "-c", "kill $(pidof sandboxd); while pidof sandboxd >/dev/null; do sleep 0.05; done");
            List<double> nsenterToVersion = [], nsenterTrue = [];
            for (var round = 0; round < rounds; round++)
            {
                var clock = Stopwatch.StartNew();
                var bare = await ProcessRunner.RunAsync("nsenter", ["-t", pid, "-m", "-u", "-i", "-n", "-p", "--", "/bin/true"]);
                nsenterTrue.Add(clock.Elapsed.TotalMilliseconds);
                if (bare.ExitCode != 0)
                {
                    throw new InvalidOperationException($"nsenter into the container failed: {bare.Stderr}");
                }

                clock.Restart();
                using var daemon = StartInContainer(pid);
                while (!await AnswersAsync(http, ip))
                {
                    if (clock.Elapsed > TimeSpan.FromSeconds(10))
                    {
                        throw new TimeoutException("the daemon started through nsenter did not answer /version within 10 s");
                    }

                    await Task.Delay(1);
                }

                nsenterToVersion.Add(clock.Elapsed.TotalMilliseconds);
                daemon.Kill(entireProcessTree: true);
                await daemon.WaitForExitAsync();
                await ProcessRunner.DockerAsync("exec", name, "sh", "-c", "while pidof sandboxd >/dev/null; do sleep 0.05; done");
            }

            await ProcessRunner.DockerAsync("exec", "-d", "-e", $"SANDBOXD_TOKEN={Token}", name, "/opt/sandboxgrains/sandboxd", "--work-dir", "/", "--port", DaemonPort);
            await Eventually(() => AnswersAsync(http, ip));

            // Idle: answered once, then left alone for a few seconds, as it is in a sandbox nobody uses.
            await Task.Delay(TimeSpan.FromSeconds(3));
            var rssMb = await IdleRssMbAsync(name);
            const string Section = "Daemon (sandboxd)";
            return
            [
                new(Section, "bundle size", "MiB", [sizeMib], "target", [16], HigherIsBetter: false,
                    $"binary + its loader and glibc libraries: {sizeBytes:N0} bytes ({sizeBytes / 1e6:F2} MB in decimal megabytes)"),
                new(Section, "exec in the container → first /version answer, busybox", "ms", nsenterToVersion, "exec of true the same way", nsenterTrue, HigherIsBetter: false,
                    "target: ≤ 100 ms; exec through nsenter into the container's namespaces"),
                new(Section, "docker exec → first /version answer, busybox", "ms", toVersion, "docker exec true", bareExec, HigherIsBetter: false,
                    "Docker's own exec path adds its cost to both"),
                new(Section, "idle RSS", "MiB", [rssMb], "target", [25], HigherIsBetter: false),
            ];
        }
        finally
        {
            await ProcessRunner.RunAsync("docker", ["rm", "-f", name]);
        }
    }

    /// <summary>The daemon started inside the container whose init is <paramref name="pid"/>, without Docker's exec.</summary>
    private static Process StartInContainer(string pid)
    {
        var info = new ProcessStartInfo("nsenter") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "-t", pid, "-m", "-u", "-i", "-n", "-p", "--", "/opt/sandboxgrains/sandboxd", "--work-dir", "/", "--port", DaemonPort })
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment["SANDBOXD_TOKEN"] = Token;
        var process = Process.Start(info) ?? throw new InvalidOperationException("nsenter did not start");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static async Task Eventually(Func<Task<bool>> answers)
    {
        var deadline = Stopwatch.StartNew();
        while (!await answers())
        {
            if (deadline.Elapsed > TimeSpan.FromSeconds(10))
            {
                throw new TimeoutException("the daemon did not answer /version within 10 s");
            }

            await Task.Delay(10);
        }
    }

    private static async Task<bool> AnswersAsync(HttpClient http, string ip)
    {
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"http://{ip}:{DaemonPort}{DaemonProtocol.VersionPath}");
            request.Headers.Add(DaemonProtocol.SecretHeader, Token);
            using var response = await http.SendAsync(request);
            return response.IsSuccessStatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return false;
        }
    }

    private static async Task<double> IdleRssMbAsync(string container)
    {
        var top = await ProcessRunner.DockerAsync("top", container, "-eo", "pid,comm");
        var pid = top.Split('\n').Skip(1).Select(l => l.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .First(p => p.Length == 2 && p[1] == "sandboxd")[0];
        var status = await File.ReadAllLinesAsync($"/proc/{pid}/status");
        var kb = status.First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
        return double.Parse(kb, CultureInfo.InvariantCulture) / 1024;
    }
}
