namespace SandboxGrains.Silo.Api;

/// <summary>API keys (section <c>Api</c>); the environment variable <c>SANDBOXGRAINS_API_KEY</c> adds one more.</summary>
public sealed class ApiOptions
{
    public const string SectionName = "Api";

    /// <summary>The environment variable that supplies a key without touching configuration files.</summary>
    public const string KeyEnvironmentVariable = "SANDBOXGRAINS_API_KEY";

    /// <summary>Accepted keys. With none here and none in the environment, one is generated at first start.</summary>
    public List<string> Keys { get; set; } = [];

    /// <summary>
    /// Seed 002's <c>security.enabled: false</c>: requests that arrive on a loopback address need no key. Honoured only
    /// while every API listener is loopback, so no one beyond this machine is let in without one.
    /// </summary>
    public bool KeyOptionalOnLoopback { get; set; }

    /// <summary>Shortest key accepted: short keys are guessable.</summary>
    internal const int MinimumKeyLength = 16;
}

internal sealed class ApiOptionsValidator(Hosting.ApiListener listener) : IValidateOptions<ApiOptions>
{
    public ValidateOptionsResult Validate(string? name, ApiOptions options)
    {
        var failures = new List<string>();
        for (var i = 0; i < options.Keys.Count; i++)
        {
            if ((options.Keys[i] ?? "").Trim().Length < ApiOptions.MinimumKeyLength)
            {
                failures.Add($"Api:Keys:{i} is shorter than {ApiOptions.MinimumKeyLength} characters; use a long random key (e.g. openssl rand -hex 24).");
            }
        }

        var fromEnvironment = Environment.GetEnvironmentVariable(ApiOptions.KeyEnvironmentVariable);
        if (fromEnvironment is not null && fromEnvironment.Trim().Length < ApiOptions.MinimumKeyLength)
        {
            failures.Add($"{ApiOptions.KeyEnvironmentVariable} is shorter than {ApiOptions.MinimumKeyLength} characters; use a long random key.");
        }

        if (options.KeyOptionalOnLoopback && listener.Urls.FirstOrDefault(url => !Hosting.Listeners.IsLoopback(url)) is { } open)
        {
            failures.Add(
                $"security.enabled: false (SECURITY_ENABLED=false, Api:KeyOptionalOnLoopback) turns the API key off, which is only honoured when the silo listens on loopback alone; " +
                $"it listens on {open} (server.host, DAEMON_PROXY_HOST, urls), where anyone who reaches it would use the API without a key. " +
                "Set server.host to 127.0.0.1, or keep security on and give a security.api_key (16 characters or more).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
