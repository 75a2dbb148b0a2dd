using System.Globalization;
using SandboxGrains.Testing;

namespace SandboxGrains.Bench;

/// <summary>
/// Go's <c>net/http/httputil.ReverseProxy</c> on loopback in front of one app (<c>bench/goproxy/main.go</c>, standard
/// library only, built here with Debian's <c>golang-go</c>): the forwarder the Go sandbox proxies of our competitors use.
/// </summary>
internal sealed class GoReverseProxy : IAsyncDisposable
{
    private readonly System.Diagnostics.Process _process;
    private readonly string _folder;

    private GoReverseProxy(System.Diagnostics.Process process, string folder, string baseUrl)
    {
        _process = process;
        _folder = folder;
        BaseUrl = baseUrl;
    }

    public string BaseUrl { get; }

    public static async Task<GoReverseProxy> StartAsync(string upstream)
    {
        var folder = Directory.CreateTempSubdirectory("sandboxgrains-bench-goproxy-").FullName;
        var binary = Path.Combine(folder, "goproxy");
        var source = Path.Combine(RepositoryPaths.Root, "bench", "goproxy", "main.go");
        var built = await ProcessRunner.RunAsync("go", ["build", "-o", binary, source], TimeSpan.FromMinutes(5));
        if (built.ExitCode != 0)
        {
            Directory.Delete(folder, recursive: true);
            throw new InvalidOperationException($"go build {source} failed: {built.Stderr}");
        }

        var port = FreePort.Next().ToString(CultureInfo.InvariantCulture);
        var info = new System.Diagnostics.ProcessStartInfo(binary) { UseShellExecute = false, RedirectStandardError = true };
        info.ArgumentList.Add($"127.0.0.1:{port}");
        info.ArgumentList.Add($"http://{upstream}");
        var process = System.Diagnostics.Process.Start(info) ?? throw new InvalidOperationException("the Go proxy did not start");
        var proxy = new GoReverseProxy(process, folder, $"http://127.0.0.1:{port}");
        if (await HostNginx.AnswersAsync(proxy.BaseUrl, TimeSpan.FromSeconds(5)))
        {
            return proxy;
        }

        await proxy.DisposeAsync();
        throw new InvalidOperationException($"the Go proxy on {proxy.BaseUrl} did not answer");
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        Directory.Delete(_folder, recursive: true);
    }
}
