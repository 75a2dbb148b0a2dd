namespace SandboxGrains.Client;

/// <summary>The outcome of <c>process/execute</c>: exit code and stdout+stderr combined.</summary>
public sealed record ExecuteResult(int ExitCode, string Result);

/// <summary>A runner as the HTTP API describes it.</summary>
public sealed record RunnerSummary(string Id, string? Endpoint, string Status, string? StatusReason, int SandboxCount);

/// <summary>An error answer of the API, with its stable <see cref="Code"/> (<c>sandbox_not_found</c>, <c>no_capacity</c>, …).</summary>
public sealed class SandboxGrainsException : Exception
{
    public SandboxGrainsException() { }

    public SandboxGrainsException(string message) : base(message) { }

    public SandboxGrainsException(string message, Exception? inner) : base(message, inner) { }

    public SandboxGrainsException(int status, string code, string message, Exception? inner = null) : base(message, inner)
    {
        Status = status;
        Code = code;
    }

    /// <summary>The HTTP status (or its equivalent for the grain client).</summary>
    public int Status { get; }

    /// <summary>The stable error code.</summary>
    public string Code { get; } = "error";
}
