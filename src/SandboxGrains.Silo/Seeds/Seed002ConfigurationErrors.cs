namespace SandboxGrains.Silo.Seeds;

/// <summary>
/// What was wrong in seed 002's own settings (its YAML file, variables and flags) as they were read, before the host is
/// built; reported at start-up with every other setting's mistakes instead of as a stack trace.
/// </summary>
internal sealed record Seed002ConfigurationErrors(IReadOnlyList<string> Errors);
