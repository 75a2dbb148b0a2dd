namespace SandboxGrains.Silo.Api;

/// <summary>API keys (section <c>Api</c>); the environment variable <c>SANDBOXGRAINS_API_KEY</c> adds one more.</summary>
public sealed class ApiOptions
{
    public const string SectionName = "Api";

    /// <summary>The environment variable that supplies a key without touching configuration files.</summary>
    public const string KeyEnvironmentVariable = "SANDBOXGRAINS_API_KEY";

    /// <summary>Accepted keys. With none here and none in the environment, one is generated at first start.</summary>
    public List<string> Keys { get; set; } = [];

    /// <summary>Shortest key accepted: short keys are guessable.</summary>
    internal const int MinimumKeyLength = 16;
}

internal sealed class ApiOptionsValidator : IValidateOptions<ApiOptions>
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

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
