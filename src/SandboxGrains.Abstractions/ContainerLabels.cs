namespace SandboxGrains;

/// <summary>Docker labels every managed container carries; reconciliation and event filters depend on them.</summary>
public static class ContainerLabels
{
    /// <summary>The sandbox id the container belongs to.</summary>
    public const string SandboxId = "sandboxgrains.sandbox-id";

    /// <summary>The runner (Docker host) that owns the container.</summary>
    public const string RunnerId = "sandboxgrains.runner-id";

    /// <summary>Marks containers the cluster created or adopted; value <c>true</c>.</summary>
    public const string Managed = "sandboxgrains.managed";
}
