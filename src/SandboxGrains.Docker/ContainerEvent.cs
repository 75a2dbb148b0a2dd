namespace SandboxGrains.Docker;

/// <summary>One container event from the engine: <c>start</c>, <c>die</c>, <c>stop</c>, <c>oom</c>, <c>destroy</c>, …</summary>
/// <param name="ContainerId">The container's full id.</param>
/// <param name="Action">Docker's action word.</param>
/// <param name="Attributes">The actor's attributes: its labels, plus <c>exitCode</c> on <c>die</c>.</param>
public sealed record ContainerEvent(string ContainerId, string Action, IReadOnlyDictionary<string, string> Attributes);
