using System.Net;
using System.Text.Json;
using Xunit;

namespace SandboxGrains.Daemon.Tests;

/// <summary><c>POST /process/code-run</c> with each image's own interpreters, and <c>POST /env</c>, which it honours.</summary>
public sealed class CodeRunTests(BusyboxDaemonFixture fixture) : IClassFixture<BusyboxDaemonFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string Result(JsonElement? body) => body!.Value.GetProperty("result").GetString()!;

    private static string Code(JsonElement? body) => body!.Value.GetProperty("code").GetString()!;

    [Fact]
    public async Task Shell_GetsArgvAsWholeArguments_EnvsAndExitCode()
    {
        var (status, body) = await fixture.Container.PostJsonAsync("/process/code-run", new
        {
            code = "echo \"$# [$1] [$2] $GREETING\"; echo oops >&2; exit 4",
            language = "shell",
            argv = new[] { "two words", "it's" },
            envs = new Dictionary<string, string> { ["GREETING"] = "hello" },
        }, Ct);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(4, body!.Value.GetProperty("exitCode").GetInt32());
        Assert.Equal("2 [two words] [it's] hello\noops\n", Result(body));
    }

    [Fact]
    public async Task Python_InAnImageWithout_Is400NamingTheInterpreter()
    {
        var (status, body) = await fixture.Container.PostJsonAsync("/process/code-run", new { code = "print(1)", language = "python" }, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("INTERPRETER_NOT_FOUND", Code(body));
        Assert.Contains("python3", body!.Value.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("cobol", "UNSUPPORTED_LANGUAGE")]
    [InlineData("", "MISSING_LANGUAGE")]
    public async Task UnknownOrNoLanguage_Is400(string language, string code)
    {
        var (status, body) = await fixture.Container.PostJsonAsync("/process/code-run", new { code = "x", language }, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(code, Code(body));
    }

    [Fact]
    public async Task Timeout_Is408()
    {
        var (status, body) = await fixture.Container.PostJsonAsync("/process/code-run", new { code = "sleep 30", language = "shell", timeout = 1 }, Ct);

        Assert.Equal(HttpStatusCode.RequestTimeout, status);
        Assert.Equal("PROCESS_EXECUTION_TIMEOUT", Code(body));
    }

    [Fact]
    public async Task UpdateEnv_SetsAndUnsetsForLaterProcesses_RequestEnvsWinOverIt()
    {
        var name = $"SG_TEST_{Guid.NewGuid():N}";
        Assert.Equal(HttpStatusCode.NoContent, (await fixture.Container.PostJsonAsync("/env", new { set = new Dictionary<string, string> { [name] = "set" } }, Ct)).Status);
        var script = $"echo \"[${name}]\"";

        var seen = await fixture.Container.PostJsonAsync("/process/code-run", new { code = script, language = "shell" }, Ct);
        var overridden = await fixture.Container.PostJsonAsync("/process/execute", new { command = script, envs = new Dictionary<string, string> { [name] = "mine" } }, Ct);
        await fixture.Container.PostJsonAsync("/env", new { unset = new[] { name } }, Ct);
        var gone = await fixture.Container.PostJsonAsync("/process/execute", new { command = script }, Ct);

        Assert.Equal("[set]\n", Result(seen.Body));
        Assert.Equal("[mine]\n", Result(overridden.Body));
        Assert.Equal("[]\n", Result(gone.Body));
    }

    [Fact]
    public async Task UpdateEnv_InvalidName_Is400()
    {
        var (status, body) = await fixture.Container.PostJsonAsync("/env", new { set = new Dictionary<string, string> { ["A=B"] = "x" } }, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("INVALID_ENV", Code(body));
    }

    [Fact]
    public async Task Python_InTheDebianImage_RunsFromStdinWithArgv()
    {
        await using var container = await DaemonContainer.StartAsync("sandboxgrains/base:latest");

        var (status, body) = await container.PostJsonAsync("/process/code-run", new
        {
            code = "import os, sys\nprint(sys.argv[1:], os.environ['X'])\nsys.exit(2)",
            language = "python",
            argv = new[] { "a b", "c" },
            envs = new Dictionary<string, string> { ["X"] = "x!" },
        }, Ct);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(2, body!.Value.GetProperty("exitCode").GetInt32());
        Assert.Equal("['a b', 'c'] x!\n", Result(body));
    }
}
