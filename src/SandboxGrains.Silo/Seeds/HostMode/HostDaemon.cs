using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using SandboxGrains.Docker;
using SandboxGrains.Docker.Sandboxes;
using SandboxGrains.Silo.Hosting;

namespace SandboxGrains.Silo.Seeds.HostMode;

/// <summary>
/// The daemon on this host in seed 002's host mode: a sandboxd this silo starts (from its bundle, through the bundle's own
/// loader, on loopback, with a secret kept in the silo's data directory) and starts again when it stops answering; or one
/// already listening at <c>DaemonProxy:HostDaemonAddress</c>, which is only looked at. Either way it serves with the
/// rights of the user it runs as, which the start-up log says plainly.
/// </summary>
internal sealed partial class HostDaemon : IHostedService, IDisposable
{
    private const int OutputLinesKept = 20;

    // Loopback: no proxy, no redirects, a short connect timeout so a daemon that is down is known at once.
    private readonly HttpClient _http = new(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false, ConnectTimeout = TimeSpan.FromSeconds(1) });
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly ConcurrentQueue<string> _output = new();
    private readonly DaemonProxyOptions _options;
    private readonly DaemonInjectionOptions _daemon;
    private readonly TimeProvider _time;
    private readonly ILogger<HostDaemon> _logger;
    private readonly string _tokenFile;
    private Process? _process;

    public HostDaemon(
        IOptions<DaemonProxyOptions> options, IOptions<DaemonInjectionOptions> daemon, IOptions<SiloOptions> silo, TimeProvider time, ILogger<HostDaemon> logger)
    {
        (_options, _daemon, _time, _logger) = (options.Value, daemon.Value, time, logger);
        StartedHere = string.IsNullOrWhiteSpace(_options.HostDaemonAddress);
        _tokenFile = StartedHere ? Path.Combine(silo.Value.DataDirectory, "host-daemon", "daemon-token") : _options.HostDaemonTokenFile!;
        Address = StartedHere ? new IPEndPoint(ConnectAddress(IPAddress.Parse(_options.HostListenAddress)), _daemon.Port).ToString() : _options.HostDaemonAddress!.Trim();
        WorkDir = _options.HostWorkDir is { Length: > 0 } dir ? dir : Environment.GetEnvironmentVariable("HOME") is { Length: > 0 } home ? home : "/";
    }

    /// <summary>True when this silo starts the daemon (and may start it again, or stop it); false for one it only uses.</summary>
    public bool StartedHere { get; }

    /// <summary><c>ip:port</c> where the silo reaches the daemon; its ip is where apps on the host are reached too.</summary>
    public string Address { get; }

    /// <summary>The work directory of a daemon started here.</summary>
    public string WorkDir { get; }

    /// <summary>The daemon's secret: kept in the silo's data directory (made once, mode 0600), or read from the configured file.</summary>
    public string Secret()
    {
        if (StartedHere && !File.Exists(_tokenFile))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(_tokenFile)!, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            using var file = new FileStream(_tokenFile, new FileStreamOptions
            {
                Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            });
            file.Write(System.Text.Encoding.ASCII.GetBytes(RandomNumberGenerator.GetHexString(64, lowercase: true)));
        }

        return File.ReadAllText(_tokenFile).Trim();
    }

    /// <summary>The daemon as it is now: the host always "runs"; the daemon serves when it answers <c>/version</c>.</summary>
    public async Task<SandboxContainer> LookAsync(CancellationToken cancellationToken) =>
        new(HostRunner.ContainerId, Exists: true, Running: true, ExitReason: null, Address,
            await DaemonVersionProbe.ReadAsync(_http, Address, Secret(), cancellationToken).ConfigureAwait(false));

    /// <summary>The daemon serving: as it is when it answers, else (when this silo starts it) started again and waited for.</summary>
    public async Task<SandboxContainer> EnsureAsync(CancellationToken cancellationToken)
    {
        var seen = await LookAsync(cancellationToken).ConfigureAwait(false);
        if (seen.IsServing || !StartedHere)
        {
            return seen;
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            seen = await LookAsync(cancellationToken).ConfigureAwait(false);
            return seen.IsServing ? seen : await StartAndWaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Stops a daemon this silo started (the sandbox stopped or deleted); one it only uses is not its to stop.</summary>
    public async Task StopAsync(string why, CancellationToken cancellationToken)
    {
        if (!StartedHere)
        {
            throw new ContainerRuntimeException($"the daemon at {Address} was not started by this silo, so it cannot {why}; stop it where it was started");
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await KillAsync().ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Why host mode's daemon bundle cannot be used, in words; null when it can.</summary>
    public static string? BundleProblem(DaemonProxyOptions options, DaemonInjectionOptions daemon)
    {
        var bundle = Bundle(options, daemon);
        if (bundle.Folder is null)
        {
            return options.DaemonPath is { Length: > 0 } path
                ? $"daemon.path (DAEMON_PATH, DaemonProxy:DaemonPath) '{path}' is not a sandboxd bundle. Host mode runs our daemon, sandboxd, from its bundle: a folder with sandboxd and lib/ (dotnet publish src/SandboxGrains.Daemon -c Release makes artifacts/sandboxd), or the sandboxd in one; Daytona's binary is not used."
                : $"DaemonProxy:Mode host starts sandboxd on this host, and {bundle.Problem}.";
        }

        return File.Exists(Loader(bundle.Folder)) ? null : $"the sandboxd bundle at {bundle.Folder} has no lib/ld-linux-x86-64.so.2 to run it with on this host; publish it again (dotnet publish src/SandboxGrains.Daemon -c Release).";
    }

    Task IHostedService.StartAsync(CancellationToken cancellationToken)
    {
        var listen = IPAddress.Parse(_options.HostListenAddress);
        LogHostMode(_logger, Address, StartedHere ? $"started by this silo, working in {WorkDir}" : "already running, not started by this silo", Environment.UserName);
        if (StartedHere && !IPAddress.IsLoopback(listen))
        {
            LogWideListener(_logger, _options.HostListenAddress);
        }

        return Task.CompletedTask;
    }

    async Task IHostedService.StopAsync(CancellationToken cancellationToken) => await KillAsync().ConfigureAwait(false);

    private async Task<SandboxContainer> StartAndWaitAsync(CancellationToken cancellationToken)
    {
        await KillAsync().ConfigureAwait(false);
        var secret = Secret();
        var bundle = Bundle(_options, _daemon).RequireMountFolder();
        Directory.CreateDirectory(WorkDir);

        // The bundle's binary asks for its loader where containers mount it (/opt/sandboxgrains); on the host the loader is
        // run directly, with the bundle's libraries. The secret goes by file, so the commands the daemon runs never see it.
        var start = new ProcessStartInfo(Loader(bundle))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = WorkDir,
        };
        foreach (var arg in new[]
        {
            "--library-path", Path.Combine(bundle, "lib"), Path.Combine(bundle, "sandboxd"),
            "--work-dir", WorkDir, "--port", _daemon.Port.ToString(CultureInfo.InvariantCulture),
            "--listen", _options.HostListenAddress, "--token-file", _tokenFile,
        })
        {
            start.ArgumentList.Add(arg);
        }

        // The silo's own secrets stay out of the environment every command on the host inherits from the daemon.
        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("SANDBOXGRAINS_", StringComparison.Ordinal) || k == "SANDBOXD_TOKEN").ToList())
        {
            start.Environment.Remove(name);
        }

        var process = Process.Start(start) ?? throw new ContainerRuntimeException("sandboxd could not be started on this host");
        process.OutputDataReceived += (_, e) => Keep(e.Data);
        process.ErrorDataReceived += (_, e) => Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        LogStarted(_logger, process.Id, Address);

        var deadline = _time.GetUtcNow() + _daemon.StartTimeout;
        while (true)
        {
            if (await DaemonVersionProbe.ReadAsync(_http, Address, secret, cancellationToken).ConfigureAwait(false) is { } version)
            {
                return new SandboxContainer(HostRunner.ContainerId, true, true, null, Address, version);
            }

            if (process.HasExited)
            {
                throw new ContainerRuntimeException($"sandboxd on this host exited with code {process.ExitCode} before it answered on {Address}: {string.Join(" | ", _output)}");
            }

            if (_time.GetUtcNow() > deadline)
            {
                await KillAsync().ConfigureAwait(false);
                throw new ContainerRuntimeException($"sandboxd on this host did not answer on {Address} within {_daemon.StartTimeout.TotalSeconds:0} s (daemon.startup_timeout): {string.Join(" | ", _output)}");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(50), _time, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task KillAsync()
    {
        if (_process is not { } process)
        {
            return;
        }

        _process = null;
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync().ConfigureAwait(false);
        }

        process.Dispose();
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }

        LogDaemonOutput(_logger, line);
        _output.Enqueue(line);
        while (_output.Count > OutputLinesKept && _output.TryDequeue(out _))
        {
        }
    }

    private static DaemonBundle Bundle(DaemonProxyOptions options, DaemonInjectionOptions daemon)
    {
        var path = options.DaemonPath is { Length: > 0 } configured
            ? File.Exists(configured) && Path.GetFileName(configured) == "sandboxd" ? Path.GetDirectoryName(Path.GetFullPath(configured)) : configured
            : daemon.BundlePath;
        return new DaemonBundle(Microsoft.Extensions.Options.Options.Create(new DaemonInjectionOptions { BundlePath = path }));
    }

    private static string Loader(string bundle) => Path.Combine(bundle, "lib", "ld-linux-x86-64.so.2");

    /// <summary>Where a daemon listening on <paramref name="listen"/> is reached: loopback when it listens on every address.</summary>
    private static IPAddress ConnectAddress(IPAddress listen) =>
        listen.Equals(IPAddress.Any) ? IPAddress.Loopback : listen.Equals(IPAddress.IPv6Any) ? IPAddress.IPv6Loopback : listen;

    public void Dispose()
    {
        _process?.Kill(entireProcessTree: true);
        _process?.Dispose();
        _http.Dispose();
        _gate.Dispose();
    }

    [LoggerMessage(1, LogLevel.Warning,
        "Host mode (seed 002, DaemonProxy:Mode=host): the default target is a daemon on this host at {Address}, {How}. Whoever holds an API key of this silo runs commands, reads and writes files and reaches this host's ports with the rights of user '{User}'. Keep the keys secret, and run the silo as a user with no more rights than that.")]
    private static partial void LogHostMode(ILogger logger, string address, string how, string user);

    [LoggerMessage(2, LogLevel.Warning,
        "Host mode: the daemon listens on {Listen}, not only on loopback (DaemonProxy:HostListenAddress); anyone who can reach that address and knows its secret has this host's user's rights.")]
    private static partial void LogWideListener(ILogger logger, string listen);

    [LoggerMessage(3, LogLevel.Information, "Host mode: started sandboxd (pid {Pid}) on {Address}")]
    private static partial void LogStarted(ILogger logger, int pid, string address);

    [LoggerMessage(4, LogLevel.Information, "sandboxd (host): {Line}")]
    private static partial void LogDaemonOutput(ILogger logger, string line);
}
