using SandboxGrains.Daemon.Http;
using SandboxGrains.Daemon.Processes;

namespace SandboxGrains.Daemon.CodeRun;

/// <summary>
/// How code in one of <c>process.codeRun</c>'s languages runs: with the interpreter the image has, the code on its
/// standard input (TypeScript: in a file, which ts-node needs), and <c>argv</c> as real arguments after it — never
/// re-split by a shell, so an argument with spaces or quotes arrives as it was sent.
/// </summary>
internal sealed record CodeInterpreter(string Program, IReadOnlyList<string> Arguments, string? SourceFile)
{
    /// <summary>The languages served: Daytona's three (the sandbox's <c>code-toolbox-language</c> label) and the shell.</summary>
    public static readonly string[] Languages = ["python", "javascript", "typescript", "shell"];

    /// <summary>
    /// The interpreter for <paramref name="language"/> found on <paramref name="path"/>; a 400 naming the language or
    /// the missing program otherwise.
    /// </summary>
    public static CodeInterpreter For(string? language, IReadOnlyList<string> argv, string? path)
    {
        switch (language?.Trim().ToLowerInvariant())
        {
            case "python":
                return new(Require(path, "Python", "python3", "python"), ["-u", "-", .. argv], null);
            case "javascript":
                return new(Require(path, "JavaScript", "node", "nodejs"), ["-", .. argv], null);
            case "typescript":
                // ts-node type-checks nothing (-T) and emits CommonJS, as Daytona's daemon runs it; npx fetches it when the
                // image has Node.js but not ts-node.
                var file = Path.Combine(Path.GetTempPath(), $"sandboxd-code-{Guid.NewGuid():N}.ts");
                string[] tsNode = ["-T", "-O", "{\"module\":\"CommonJS\"}", file, .. argv];
                return ExecutableSearch.Find(path, "ts-node") is { } direct
                    ? new(direct, tsNode, file)
                    : new(Require(path, "TypeScript", "npx"), ["--yes", "ts-node", .. tsNode], file);
            case "shell":
                var shell = ProcessLauncher.Shell ?? Require(path, "Shell", "sh");
                return new(shell, ["-s", "--", .. argv], null);
            case null or "":
                throw DaemonError.BadRequest($"'language' is required: one of {string.Join(", ", Languages)}", "MISSING_LANGUAGE");
            default:
                throw DaemonError.BadRequest(
                    $"language '{language}' is not supported: use one of {string.Join(", ", Languages)}", "UNSUPPORTED_LANGUAGE");
        }
    }

    private const string MissingCode = "INTERPRETER_NOT_FOUND";

    private static string Require(string? path, string language, params string[] programs) =>
        ExecutableSearch.Require(path, $"{language} code", MissingCode, programs);
}
