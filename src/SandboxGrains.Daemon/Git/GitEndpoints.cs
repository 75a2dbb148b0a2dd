using SandboxGrains.Daemon.Http;

namespace SandboxGrains.Daemon.Git;

/// <summary>
/// The <c>/git</c> routes of Daytona's daemon (<c>sandbox.git</c>), each one or two runs of the image's own git in the
/// repository the caller names (relative paths from the work dir). git's failures come back classified
/// (<see cref="GitFailure"/>); an image without git is 400 <c>GIT_NOT_FOUND</c>.
/// </summary>
internal static class GitEndpoints
{
    public static void MapGitEndpoints(this IEndpointRouteBuilder app)
    {
        var git = app.MapGroup("/git");
        git.MapPost("/clone", CloneAsync);
        git.MapPost("/init", InitAsync);
        git.MapGet("/status", async (HttpContext context, GitRunner runner, DaemonOptions options) =>
            TypedResults.Json(GitStatusReader.Read(await runner.RunAsync(Repository(Query.Optional(context.Request, "path"), options), GitStatusReader.Arguments, context.RequestAborted)),
                DaemonJson.Default.GitStatusResponse));
        git.MapPost("/add", AddAsync);
        git.MapPost("/commit", CommitAsync);
        git.MapGet("/history", HistoryAsync);
        git.MapGet("/branches", BranchesAsync);
        git.MapPost("/branches", async (HttpContext context, GitRunner runner, DaemonOptions options) =>
        {
            var request = await Query.BodyAsync(context.Request, DaemonJson.Default.GitBranchRequest);
            // As Daytona's daemon does: the new branch is also checked out.
            await runner.RunAsync(Repository(request.Path, options), ["checkout", "-b", Required(request.Name, "name")], context.RequestAborted);
            return TypedResults.Created();
        });
        git.MapDelete("/branches", async (HttpContext context, GitRunner runner, DaemonOptions options) =>
        {
            var request = await Query.BodyAsync(context.Request, DaemonJson.Default.GitBranchRequest);
            await runner.RunAsync(Repository(request.Path, options), ["branch", "-D", Required(request.Name, "name")], context.RequestAborted);
            return TypedResults.NoContent();
        });
        git.MapPost("/checkout", async (HttpContext context, GitRunner runner, DaemonOptions options) =>
        {
            var request = await Query.BodyAsync(context.Request, DaemonJson.Default.GitCheckoutRequest);
            // The "--" makes the name a branch or commit, never a file of the same name.
            await runner.RunAsync(Repository(request.Path, options), ["checkout", Required(request.Branch, "branch"), "--"], context.RequestAborted);
            return TypedResults.Ok();
        });
        git.MapPost("/pull", (HttpContext context, GitRunner runner, DaemonOptions options) => SyncAsync(context, runner, options, "pull"));
        git.MapPost("/push", (HttpContext context, GitRunner runner, DaemonOptions options) => SyncAsync(context, runner, options, "push"));
        git.MapPost("/reset", ResetAsync);
        git.MapPost("/restore", RestoreAsync);
        git.MapGet("/remotes", RemotesAsync);
        git.MapPost("/remotes", AddRemoteAsync);
        git.MapGet("/config", GetConfigAsync);
        git.MapPost("/config", async (HttpContext context, GitRunner runner, DaemonOptions options) =>
        {
            var request = await Query.BodyAsync(context.Request, DaemonJson.Default.GitSetConfigRequest);
            await SetConfigAsync(runner, options, request.Scope, request.Path, Required(request.Key, "key"), request.Value ?? "", context.RequestAborted);
            return TypedResults.Ok();
        });
        git.MapPost("/config/user", async (HttpContext context, GitRunner runner, DaemonOptions options) =>
        {
            var request = await Query.BodyAsync(context.Request, DaemonJson.Default.GitConfigureUserRequest);
            await SetConfigAsync(runner, options, request.Scope, request.Path, "user.name", Required(request.Name, "name"), context.RequestAborted);
            await SetConfigAsync(runner, options, request.Scope, request.Path, "user.email", Required(request.Email, "email"), context.RequestAborted);
            return TypedResults.Ok();
        });
        git.MapPost("/credentials", CredentialsAsync);
    }

    private static async Task<IResult> CloneAsync(HttpContext context, GitRunner runner, DaemonOptions options)
    {
        var request = await Query.BodyAsync(context.Request, DaemonJson.Default.GitCloneRequest);
        var url = Required(request.Url, "url");
        var target = Target(request.Path, options);
        if (request.Depth is < 1)
        {
            throw DaemonError.BadRequest("'depth' must be a positive number of commits", "INVALID_DEPTH");
        }

        List<string> arguments = request.InsecureSkipTls == true ? ["-c", "http.sslVerify=false", "clone"] : ["clone"];
        if (request.Branch is { Length: > 0 } branch)
        {
            arguments.AddRange(["--branch", branch]);
        }

        if (request.Depth is { } depth)
        {
            arguments.Add($"--depth={depth}");
        }

        arguments.AddRange(["--", url, target]);
        var credentials = GitCredentials.From(request.Username, request.Password);
        await runner.RunAsync(null, arguments, context.RequestAborted, credentials);
        if (request.CommitId is { Length: > 0 } commit)
        {
            await runner.RunAsync(target, ["checkout", "--detach", commit], context.RequestAborted);
        }

        return TypedResults.Ok();
    }

    private static async Task<IResult> InitAsync(HttpContext context, GitRunner runner, DaemonOptions options)
    {
        var request = await Query.BodyAsync(context.Request, DaemonJson.Default.GitInitRequest);
        List<string> arguments = ["init", "--quiet"];
        if (request.Bare == true)
        {
            arguments.Add("--bare");
        }

        if (request.InitialBranch is { Length: > 0 } branch)
        {
            arguments.Add($"--initial-branch={branch}");
        }

        arguments.AddRange(["--", Target(request.Path, options)]);
        await runner.RunAsync(null, arguments, context.RequestAborted);
        return TypedResults.Ok();
    }

    private static async Task<IResult> AddAsync(HttpContext context, GitRunner runner, DaemonOptions options)
    {
        var request = await Query.BodyAsync(context.Request, DaemonJson.Default.GitFilesRequest);
        await runner.RunAsync(Repository(request.Path, options), ["add", "--", .. Files(request.Files)], context.RequestAborted);
        return TypedResults.Ok();
    }

    private static async Task<IResult> CommitAsync(HttpContext context, GitRunner runner, DaemonOptions options)
    {
        var request = await Query.BodyAsync(context.Request, DaemonJson.Default.GitCommitRequest);
        var repository = Repository(request.Path, options);
        // The commit's author (and committer) come from the request, whatever the image's git config says.
        var identity = new Dictionary<string, string>();
        if (request.Author is { Length: > 0 } author)
        {
            identity["GIT_AUTHOR_NAME"] = identity["GIT_COMMITTER_NAME"] = author;
        }

        if (request.Email is { Length: > 0 } email)
        {
            identity["GIT_AUTHOR_EMAIL"] = identity["GIT_COMMITTER_EMAIL"] = email;
        }

        List<string> arguments = ["commit", "--quiet", "-m", Required(request.Message, "message")];
        if (request.AllowEmpty == true)
        {
            arguments.Add("--allow-empty");
        }

        await runner.RunAsync(repository, arguments, context.RequestAborted, env: identity);
        var hash = await runner.RunAsync(repository, ["rev-parse", "HEAD"], context.RequestAborted);
        return TypedResults.Json(new GitCommitResponse(hash.Trim()), DaemonJson.Default.GitCommitResponse);
    }

    private static async Task<IResult> HistoryAsync(HttpContext context, GitRunner runner, DaemonOptions options)
    {
        var repository = Repository(Query.Optional(context.Request, "path"), options);
        // A repository without commits has no history rather than an error.
        var head = await runner.TryAsync(repository, ["rev-parse", "--verify", "--quiet", "HEAD"], context.RequestAborted);
        if (head.ExitCode != 0)
        {
            await runner.RunAsync(repository, ["rev-parse", "--git-dir"], context.RequestAborted);
            return TypedResults.Json(new List<GitCommitInfo>(), DaemonJson.Default.ListGitCommitInfo);
        }

        // Fields apart by the unit separator, commits by the record separator: no message can break the parse.
        var log = await runner.RunAsync(repository, ["log", "--format=%H%x1f%an%x1f%ae%x1f%aI%x1f%B%x1e"], context.RequestAborted);
        var commits = log.Split('\x1e', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(c => c.Split('\x1f'))
            .Where(f => f.Length == 5)
            .Select(f => new GitCommitInfo(f[0], f[1], f[2], f[4].Trim(), f[3]))
            .ToList();
        return TypedResults.Json(commits, DaemonJson.Default.ListGitCommitInfo);
    }

    private static async Task<IResult> BranchesAsync(HttpContext context, GitRunner runner, DaemonOptions options)
    {
        var repository = Repository(Query.Optional(context.Request, "path"), options);
        var branches = await runner.RunAsync(repository, ["for-each-ref", "--format=%(refname:short)", "refs/heads"], context.RequestAborted);
        // Detached (no current branch) is an exit code of 1, not an error.
        var current = await runner.TryAsync(repository, ["symbolic-ref", "--quiet", "--short", "HEAD"], context.RequestAborted);
        return TypedResults.Json(
            new GitBranchesResponse([.. Lines(branches)], current.ExitCode == 0 ? current.Stdout.Trim() : null), DaemonJson.Default.GitBranchesResponse);
    }

    private static async Task<IResult> SyncAsync(HttpContext context, GitRunner runner, DaemonOptions options, string operation)
    {
        var request = await Query.BodyAsync(context.Request, DaemonJson.Default.GitRemoteSyncRequest);
        // pull only fast-forwards, as Daytona's daemon does: it never makes a merge commit nobody asked for.
        List<string> arguments = operation == "pull" ? ["pull", "--ff-only"] : ["push"];
        if (request.SetUpstream == true && operation == "push")
        {
            arguments.Add("--set-upstream");
        }

        if (request.Remote is { Length: > 0 } || request.Branch is { Length: > 0 })
        {
            arguments.Add(request.Remote is { Length: > 0 } remote ? remote : "origin");
        }

        if (request.Branch is { Length: > 0 } branch)
        {
            arguments.Add(branch);
        }

        await runner.RunAsync(Repository(request.Path, options), arguments, context.RequestAborted, GitCredentials.From(request.Username, request.Password));
        return TypedResults.Ok();
    }

    private static async Task<IResult> ResetAsync(HttpContext context, GitRunner runner, DaemonOptions options)
    {
        var request = await Query.BodyAsync(context.Request, DaemonJson.Default.GitResetRequest);
        List<string> arguments = ["reset", "--quiet"];
        if (request.Mode is { Length: > 0 } mode)
        {
            arguments.Add(mode.ToLowerInvariant() is "soft" or "mixed" or "hard" or "merge" or "keep"
                ? $"--{mode.ToLowerInvariant()}"
                : throw DaemonError.BadRequest($"reset mode '{mode}' is not one of soft, mixed, hard, merge, keep", "INVALID_MODE"));
        }

        if (request.Target is { Length: > 0 } target)
        {
            arguments.Add(target);
        }

        if (request.Files is { Count: > 0 } files)
        {
            arguments.AddRange(["--", .. files]);
        }

        await runner.RunAsync(Repository(request.Path, options), arguments, context.RequestAborted);
        return TypedResults.Ok();
    }

    private static async Task<IResult> RestoreAsync(HttpContext context, GitRunner runner, DaemonOptions options)
    {
        var request = await Query.BodyAsync(context.Request, DaemonJson.Default.GitRestoreRequest);
        List<string> arguments = ["restore"];
        if (request.Staged == true)
        {
            arguments.Add("--staged");
        }

        if (request.Worktree == true)
        {
            arguments.Add("--worktree");
        }

        if (request.Source is { Length: > 0 } source)
        {
            arguments.Add($"--source={source}");
        }

        await runner.RunAsync(Repository(request.Path, options), [.. arguments, "--", .. Files(request.Files)], context.RequestAborted);
        return TypedResults.Ok();
    }

    private static async Task<IResult> RemotesAsync(HttpContext context, GitRunner runner, DaemonOptions options)
    {
        var repository = Repository(Query.Optional(context.Request, "path"), options);
        // Exit code 1 means no remote at all.
        var urls = await runner.TryAsync(repository, ["config", "--local", "--get-regexp", @"^remote\..*\.url$"], context.RequestAborted);
        if (urls.ExitCode > 1)
        {
            throw GitFailure.From("config", urls.ExitCode, urls.Output, null);
        }

        var remotes = Lines(urls.Stdout)
            .Select(line => line.Split(' ', 2))
            .Where(parts => parts.Length == 2)
            .Select(parts => new GitRemote(parts[0]["remote.".Length..^".url".Length], parts[1]))
            .ToList();
        return TypedResults.Json(new GitRemotesResponse(remotes), DaemonJson.Default.GitRemotesResponse);
    }

    private static async Task<IResult> AddRemoteAsync(HttpContext context, GitRunner runner, DaemonOptions options)
    {
        var request = await Query.BodyAsync(context.Request, DaemonJson.Default.GitAddRemoteRequest);
        var repository = Repository(request.Path, options);
        var name = Required(request.Name, "name");
        var url = Required(request.Url, "url");
        var exists = (await runner.TryAsync(repository, ["remote", "get-url", name], context.RequestAborted)).ExitCode == 0;
        if (exists && request.Overwrite != true)
        {
            throw DaemonError.Conflict($"remote {name} already exists; set overwrite to replace its URL", "GIT_REMOTE_EXISTS");
        }

        await runner.RunAsync(repository, exists ? ["remote", "set-url", name, url] : ["remote", "add", name, url], context.RequestAborted);
        if (request.Fetch == true)
        {
            await runner.RunAsync(repository, ["fetch", name], context.RequestAborted);
        }

        return TypedResults.Ok();
    }

    private static async Task<IResult> GetConfigAsync(HttpContext context, GitRunner runner, DaemonOptions options)
    {
        var key = Query.Required(context.Request, "key");
        var (directory, scope) = Scope(Query.Optional(context.Request, "scope"), Query.Optional(context.Request, "path"), options);
        // Exit code 1 means the key is not set: no value, not an error.
        var result = await runner.TryAsync(directory, ["config", scope, "--get", key], context.RequestAborted);
        if (result.ExitCode > 1)
        {
            throw GitFailure.From("config", result.ExitCode, result.Output, null);
        }

        return TypedResults.Json(new GitConfigResponse(result.ExitCode == 0 ? result.Stdout.TrimEnd('\n') : null), DaemonJson.Default.GitConfigResponse);
    }

    private static async Task SetConfigAsync(
        GitRunner runner, DaemonOptions options, string? scopeName, string? path, string key, string value, CancellationToken cancellationToken)
    {
        var (directory, scope) = Scope(scopeName, path, options);
        await runner.RunAsync(directory, ["config", scope, key, value], cancellationToken);
    }

    /// <summary>
    /// <c>sandbox.git.dangerouslyAuthenticate</c>: keeps the credential in git's plain-text store (~/.git-credentials)
    /// and turns that store on globally, so later git runs against the host sign in by themselves.
    /// </summary>
    private static async Task<IResult> CredentialsAsync(HttpContext context, GitRunner runner)
    {
        var request = await Query.BodyAsync(context.Request, DaemonJson.Default.GitCredentialsRequest);
        var username = Required(request.Username, "username");
        var password = Required(request.Password, "password");
        var host = request.Host is { Length: > 0 } h ? h : "github.com";
        var protocol = request.Protocol is { Length: > 0 } p ? p : "https";
        if ($"{username}{password}{host}{protocol}".Contains('\n', StringComparison.Ordinal))
        {
            throw DaemonError.BadRequest("credentials may not contain a line break", "INVALID_CREDENTIALS");
        }

        await runner.RunAsync(null, ["config", "--global", "credential.helper", "store"], context.RequestAborted);
        await runner.RunAsync(null, ["-c", "credential.helper=store", "credential", "approve"], context.RequestAborted,
            credentials: null, input: $"protocol={protocol}\nhost={host}\nusername={username}\npassword={password}\n\n");
        return TypedResults.Ok();
    }

    /// <summary>The git config option for a scope (global unless said otherwise) and where to run it (local needs the repository).</summary>
    private static (string? Directory, string Option) Scope(string? scope, string? path, DaemonOptions options) =>
        (scope ?? "global").ToLowerInvariant() switch
        {
            "global" => (null, "--global"),
            "system" => (null, "--system"),
            "local" => (Repository(path, options), "--local"),
            _ => throw DaemonError.BadRequest($"config scope '{scope}' is not one of global, local, system", "INVALID_SCOPE"),
        };

    /// <summary>An existing directory to run git in; 404 <c>GIT_REPO_NOT_FOUND</c> when there is none.</summary>
    private static string Repository(string? path, DaemonOptions options)
    {
        var directory = Target(path, options);
        return Directory.Exists(directory)
            ? directory
            : throw DaemonError.NotFound($"no git repository at {directory}: the directory does not exist", "GIT_REPO_NOT_FOUND");
    }

    private static string Target(string? path, DaemonOptions options)
    {
        var given = Required(path, "path");
        return given.Contains('\0', StringComparison.Ordinal)
            ? throw DaemonError.BadRequest("'path' contains a NUL character", "INVALID_FILE_PATH")
            : Path.GetFullPath(given, options.WorkDir);
    }

    private static List<string> Files(List<string>? files) =>
        files is { Count: > 0 } ? files : throw DaemonError.BadRequest("'files' must name at least one file", "MISSING_FILES");

    private static string Required(string? value, string name) =>
        value is { Length: > 0 } ? value : throw DaemonError.BadRequest($"'{name}' is required", "MISSING_" + name.ToUpperInvariant());

    private static IEnumerable<string> Lines(string text) => text.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
}
