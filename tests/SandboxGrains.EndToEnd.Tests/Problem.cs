namespace SandboxGrains.EndToEnd.Tests;

/// <summary>The parts of an API error (problem JSON) the tests read.</summary>
internal sealed record Problem(int Status, string Code, string Detail);
