using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Headers;

namespace SandboxGrains.Testing;

/// <summary>
/// A real silo process (the built <c>SandboxGrains.Silo.dll</c>) on free loopback ports, with its own data folder and
/// runner id, so tests exercise exactly what a user runs. Disposing kills it and deletes its folder.
/// </summary>
public sealed class SiloProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();

    private SiloProcess(Process process, string host, int httpPort, string dataDirectory, string runnerId, string apiKey)
    {
        _process = process;
        HttpPort = httpPort;
        DataDirectory = dataDirectory;
        RunnerId = runnerId;
        ApiKey = apiKey;
        BaseAddress = new Uri($"http://{host}:{httpPort}");
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { _output.Enqueue(e.Data); } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { _output.Enqueue(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public int HttpPort { get; }

    /// <summary>The silo's operating-system process id (for reading its memory from <c>/proc</c>).</summary>
    public int ProcessId => _process.Id;

    public Uri BaseAddress { get; }

    public string DataDirectory { get; }

    public string RunnerId { get; }

    /// <summary>The key this silo accepts (configured through <c>SANDBOXGRAINS_API_KEY</c> unless the test chose otherwise).</summary>
    public string ApiKey { get; }

    public bool HasExited => _process.HasExited;

    /// <summary>Set by tests that restart a runner's silo: the next silo takes over this one's containers.</summary>
    public bool KeepContainers { get; set; }

    /// <summary>Everything the process printed so far, for assertion messages.</summary>
    public string Output => string.Join('\n', _output);

    private readonly List<string> _secrets = [];

    /// <summary>
    /// A secret (a preview token, a daemon secret, a wrong key someone sent) that must never appear in what the silo
    /// prints; checked with the silo's own API key when it is disposed.
    /// </summary>
    public void MustNotPrint(string secret)
    {
        lock (_secrets)
        {
            _secrets.Add(secret);
        }
    }

    /// <summary>The secrets (the API key first) that appear in the silo's output so far, masked; empty when none does.</summary>
    public IReadOnlyList<string> PrintedSecrets()
    {
        string[] secrets;
        lock (_secrets)
        {
            secrets = [ApiKey, .. _secrets];
        }

        var output = Output;
        return [.. secrets.Where(s => s.Length >= 8 && output.Contains(s, StringComparison.Ordinal)).Select(s => $"{s[..4]}…({s.Length} chars)")];
    }

    /// <summary>
    /// Starts a silo; extra settings are passed as <c>--Key=value</c> flags, environment as given. With
    /// <paramref name="networkNamespace"/> it runs inside that network namespace (a second "host", <see cref="SecondHost"/>)
    /// and its API listens on <paramref name="host"/> there.
    /// </summary>
    public static SiloProcess Start(
        IReadOnlyDictionary<string, string>? settings = null,
        IReadOnlyDictionary<string, string?>? environment = null,
        string? apiKey = "test-key-" + "0123456789abcdef",
        string? networkNamespace = null,
        string host = "127.0.0.1")
    {
        var httpPort = FreePort.Next();
        var runnerId = settings?.GetValueOrDefault("Runner:Id") ?? $"test-{Guid.NewGuid():N}"[..20];
        var dataDirectory = Directory.CreateTempSubdirectory("sandboxgrains-silo-").FullName;
        var flags = new Dictionary<string, string>
        {
            ["urls"] = $"http://{host}:{httpPort}",
            ["Silo:DataDirectory"] = dataDirectory,
            ["Runner:Id"] = runnerId,
            ["Runner:HeartbeatInterval"] = "00:00:01",
            ["Orleans:Endpoints:SiloPort"] = FreePort.Next().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Orleans:Endpoints:GatewayPort"] = FreePort.Next().ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            flags[key] = value;
        }

        // nsenter enters the namespace and then becomes dotnet (same process id), so killing it kills the silo.
        var info = new ProcessStartInfo(networkNamespace is null ? "dotnet" : "nsenter")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(RepositoryPaths.SiloAssembly)!,
        };
        if (networkNamespace is not null)
        {
            info.ArgumentList.Add($"--net=/var/run/netns/{networkNamespace}");
            info.ArgumentList.Add("dotnet");
        }

        info.ArgumentList.Add(RepositoryPaths.SiloAssembly);
        foreach (var (key, value) in flags)
        {
            info.ArgumentList.Add($"--{key}={value}");
        }

        info.Environment["SANDBOXGRAINS_API_KEY"] = apiKey;
        info.Environment["DOTNET_gcServer"] = "0";
        foreach (var (key, value) in environment ?? new Dictionary<string, string?>())
        {
            info.Environment[key] = value;
        }

        foreach (var unset in info.Environment.Where(e => e.Value is null).Select(e => e.Key).ToList())
        {
            info.Environment.Remove(unset);
        }

        if (!File.Exists(RepositoryPaths.SiloAssembly))
        {
            throw new FileNotFoundException($"build the silo first: {RepositoryPaths.SiloAssembly} is missing");
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start the silo");
        return new SiloProcess(process, host, httpPort, dataDirectory, runnerId, apiKey ?? "");
    }

    /// <summary>An HTTP client for this silo; with the API key unless <paramref name="authenticated"/> is false.</summary>
    public HttpClient CreateClient(bool authenticated = true)
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(120) };
        if (authenticated)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ApiKey);
        }

        return client;
    }

    /// <summary>Polls <paramref name="path"/> until it answers 200, the process dies, or the deadline passes.</summary>
    public async Task WaitUntilAsync(string path, TimeSpan deadline, CancellationToken cancellationToken = default)
    {
        using var client = CreateClient(authenticated: false);
        client.Timeout = TimeSpan.FromSeconds(5);
        var stopwatch = Stopwatch.StartNew();
        string last = "no answer yet";
        while (stopwatch.Elapsed < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"the silo exited with {_process.ExitCode} before {path} answered 200:\n{Output}");
            }

            try
            {
                using var response = await client.GetAsync(path, cancellationToken);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }

                last = $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken)}";
            }
            catch (HttpRequestException e)
            {
                last = e.Message;
            }

            await Task.Delay(200, cancellationToken);
        }

        throw new TimeoutException($"{path} did not answer 200 within {deadline} (last: {last}):\n{Output}");
    }

    /// <summary>Sends SIGTERM, as Docker, systemd or Kubernetes would, and waits for the process to end; returns its exit code.</summary>
    public async Task<int> TerminateAsync(TimeSpan deadline)
    {
        var sent = await ProcessRunner.RunAsync("kill", ["-TERM", ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        if (sent.ExitCode != 0)
        {
            throw new InvalidOperationException($"kill -TERM {ProcessId} failed: {sent.Stderr}");
        }

        using var timeout = new CancellationTokenSource(deadline);
        await _process.WaitForExitAsync(timeout.Token);
        return _process.ExitCode;
    }

    /// <summary>Sends SIGKILL and waits for the process to go.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
    }

    /// <summary>Removes every container this silo's runner labelled (each test silo has its own runner id).</summary>
    public async Task RemoveRunnerContainersAsync()
    {
        var ids = (await ProcessRunner.DockerAsync("ps", "-aq", "--filter", $"label=sandboxgrains.runner-id={RunnerId}"))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        // In batches: a benchmark may leave hundreds, and one docker rm of them all can outlast a minute.
        foreach (var batch in ids.Chunk(50))
        {
            await ProcessRunner.DockerAsync(["rm", "-f", .. batch]);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process.Dispose();

        // Every test's silo, whatever the test was about: a configured key never shows in a log (a generated one is only
        // ever named by the file it is in).
        var leaked = PrintedSecrets();
        if (!KeepContainers)
        {
            try
            {
                await RemoveRunnerContainersAsync();
            }
            catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
            {
                // No Docker here: nothing of ours can be left behind either.
            }
        }

        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is harmless.
        }

        if (leaked.Count > 0)
        {
            throw new InvalidOperationException($"silo {RunnerId} printed secrets it must never print: {string.Join(", ", leaked)}");
        }
    }
}
