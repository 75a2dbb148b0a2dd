using System.Net;
using System.Text.Json;
using Xunit;

namespace SandboxGrains.Daemon.Tests;

/// <summary>The <c>/git</c> routes running the image's git (sandboxgrains/dev), on repositories each test makes.</summary>
public sealed class GitTests(DevDaemonFixture fixture) : IClassFixture<DevDaemonFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private DaemonContainer Daemon => fixture.Container;

    private async Task<JsonElement?> OkAsync(HttpMethod method, string path, object? body = null)
    {
        var (status, answer) = await Daemon.SendJsonAsync(method, path, body, Ct);
        Assert.True(status is HttpStatusCode.OK or HttpStatusCode.Created or HttpStatusCode.NoContent, $"{method} {path}: {(int)status} {answer}");
        return answer;
    }

    private async Task<string> ShAsync(string command)
    {
        var body = await OkAsync(HttpMethod.Post, "/process/execute", new { command });
        Assert.True(body!.Value.GetProperty("exitCode").GetInt32() == 0, body.Value.GetProperty("result").GetString());
        return body.Value.GetProperty("result").GetString()!;
    }

    private static string Code(JsonElement? body) => body!.Value.GetProperty("code").GetString()!;

    [Fact]
    public async Task InitAddCommit_StatusBranchesHistory_ReadBackWhatHappened()
    {
        var repo = $"/tmp/repo-{Guid.NewGuid():N}";
        await OkAsync(HttpMethod.Post, "/git/init", new { path = repo, initial_branch = "trunk" });
        await ShAsync($"cd {repo} && echo one > 'a file.txt' && echo two > b.txt");
        await OkAsync(HttpMethod.Post, "/git/add", new { path = repo, files = new[] { "a file.txt" } });

        var status = (await OkAsync(HttpMethod.Get, $"/git/status?path={repo}"))!.Value;
        Assert.Equal("trunk", status.GetProperty("currentBranch").GetString());
        var files = status.GetProperty("fileStatus").EnumerateArray().ToDictionary(f => f.GetProperty("name").GetString()!, f => (f.GetProperty("staging").GetString(), f.GetProperty("worktree").GetString()));
        Assert.Equal(("Added", "Unmodified"), files["a file.txt"]);
        Assert.Equal(("Untracked", "Untracked"), files["b.txt"]);

        var commit = (await OkAsync(HttpMethod.Post, "/git/commit", new { path = repo, message = "first\n\nwith a body", author = "Ada", email = "ada@example.com" }))!.Value;
        var hash = commit.GetProperty("hash").GetString();
        Assert.Equal($"{hash}\n", await ShAsync($"git -C {repo} rev-parse HEAD"));
        Assert.Equal("Ada <ada@example.com>\n", await ShAsync($"git -C {repo} log -1 --format='%cn <%ce>'"));

        var history = (await OkAsync(HttpMethod.Get, $"/git/history?path={repo}"))!.Value;
        var only = Assert.Single(history.EnumerateArray());
        Assert.Equal(hash, only.GetProperty("hash").GetString());
        Assert.Equal("first\n\nwith a body", only.GetProperty("message").GetString());
        Assert.Equal("ada@example.com", only.GetProperty("email").GetString());

        await OkAsync(HttpMethod.Post, "/git/branches", new { path = repo, name = "feature" });
        var branches = (await OkAsync(HttpMethod.Get, $"/git/branches?path={repo}"))!.Value;
        Assert.Equal(["feature", "trunk"], branches.GetProperty("branches").EnumerateArray().Select(b => b.GetString()).Order());
        Assert.Equal("feature", branches.GetProperty("current").GetString());

        await OkAsync(HttpMethod.Post, "/git/checkout", new { path = repo, branch = "trunk" });
        await OkAsync(HttpMethod.Delete, "/git/branches", new { path = repo, name = "feature" });
        Assert.Equal("trunk\n", await ShAsync($"git -C {repo} for-each-ref --format='%(refname:short)' refs/heads"));
    }

    [Fact]
    public async Task Clone_OfALocalRepository_AtABranch_ThenPushAndPullThroughIt()
    {
        var origin = $"/tmp/origin-{Guid.NewGuid():N}";
        var clone = $"{origin}-clone";
        await ShAsync($"git init -q -b main {origin} && cd {origin} && echo hi > readme && git add readme && git -c user.name=a -c user.email=a@b commit -qm one && git branch side && git config receive.denyCurrentBranch updateInstead");

        await OkAsync(HttpMethod.Post, "/git/clone", new { url = origin, path = clone, branch = "side" });

        Assert.Equal("hi\n", await ShAsync($"cat {clone}/readme"));
        var status = (await OkAsync(HttpMethod.Get, $"/git/status?path={clone}"))!.Value;
        Assert.Equal("side", status.GetProperty("currentBranch").GetString());
        Assert.True(status.GetProperty("branchPublished").GetBoolean());
        Assert.Equal("origin/side", status.GetProperty("upstream").GetString());
        var remotes = (await OkAsync(HttpMethod.Get, $"/git/remotes?path={clone}"))!.Value;
        Assert.Equal(origin, Assert.Single(remotes.GetProperty("remotes").EnumerateArray()).GetProperty("url").GetString());

        await ShAsync($"cd {clone} && echo more >> readme");
        await OkAsync(HttpMethod.Post, "/git/add", new { path = clone, files = new[] { "." } });
        await OkAsync(HttpMethod.Post, "/git/commit", new { path = clone, message = "two", author = "b", email = "b@c" });
        Assert.Equal(1, (await OkAsync(HttpMethod.Get, $"/git/status?path={clone}"))!.Value.GetProperty("ahead").GetInt32());
        await OkAsync(HttpMethod.Post, "/git/push", new { path = clone });
        Assert.Equal("hi\nmore\n", await ShAsync($"git -C {origin} show side:readme"));

        await ShAsync($"cd {origin} && git checkout -q side && echo third >> readme && git -c user.name=a -c user.email=a@b commit -qam three");
        await OkAsync(HttpMethod.Post, "/git/pull", new { path = clone });
        Assert.Equal("hi\nmore\nthird\n", await ShAsync($"cat {clone}/readme"));
    }

    [Fact]
    public async Task Failures_CarryDaytonasCodes()
    {
        var repo = $"/tmp/fail-{Guid.NewGuid():N}";
        await ShAsync($"git init -q -b main {repo} && cd {repo} && git -c user.name=a -c user.email=a@b commit -q --allow-empty -m zero && mkdir -p /tmp/plain-{repo[10..]}");

        var exists = await Daemon.PostJsonAsync("/git/branches", new { path = repo, name = "main" }, Ct);
        var missing = await Daemon.PostJsonAsync("/git/checkout", new { path = repo, branch = "nope" }, Ct);
        var notRepo = await Daemon.SendJsonAsync(HttpMethod.Get, $"/git/status?path=/tmp/plain-{repo[10..]}", null, Ct);
        var noDir = await Daemon.SendJsonAsync(HttpMethod.Get, "/git/status?path=/no/such/dir", null, Ct);
        var unreachable = await Daemon.PostJsonAsync("/git/clone", new { url = "http://127.0.0.1:9/r.git", path = $"{repo}-c", username = "u", password = "pa55-word-never-shown" }, Ct);

        Assert.Equal((HttpStatusCode.Conflict, "GIT_BRANCH_EXISTS"), (exists.Status, Code(exists.Body)));
        Assert.Equal((HttpStatusCode.NotFound, "GIT_BRANCH_NOT_FOUND"), (missing.Status, Code(missing.Body)));
        Assert.Equal((HttpStatusCode.NotFound, "GIT_REPO_NOT_FOUND"), (notRepo.Status, Code(notRepo.Body)));
        Assert.Equal((HttpStatusCode.NotFound, "GIT_REPO_NOT_FOUND"), (noDir.Status, Code(noDir.Body)));
        Assert.Equal((HttpStatusCode.BadGateway, "GIT_TRANSPORT_FAILED"), (unreachable.Status, Code(unreachable.Body)));
        Assert.Equal("DAYTONA_DAEMON", exists.Body!.Value.GetProperty("source").GetString());
        Assert.DoesNotContain("pa55-word-never-shown", unreachable.Body!.Value.GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Config_SetAndGet_GlobalAndLocal_AndAMissingKeyHasNoValue()
    {
        var repo = $"/tmp/cfg-{Guid.NewGuid():N}";
        await OkAsync(HttpMethod.Post, "/git/init", new { path = repo });

        await OkAsync(HttpMethod.Post, "/git/config/user", new { name = "Local Name", email = "l@example.com", scope = "local", path = repo });
        await OkAsync(HttpMethod.Post, "/git/config", new { key = "sandboxgrains.test", value = "global value" });

        Assert.Equal("Local Name", (await OkAsync(HttpMethod.Get, $"/git/config?key=user.name&scope=local&path={repo}"))!.Value.GetProperty("value").GetString());
        Assert.Equal("global value", (await OkAsync(HttpMethod.Get, "/git/config?key=sandboxgrains.test"))!.Value.GetProperty("value").GetString());
        Assert.False((await OkAsync(HttpMethod.Get, "/git/config?key=sandboxgrains.absent"))!.Value.TryGetProperty("value", out _));
    }
}
