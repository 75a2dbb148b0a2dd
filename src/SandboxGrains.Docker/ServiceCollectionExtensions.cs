using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using SandboxGrains.Docker.Sandboxes;

namespace SandboxGrains.Docker;

/// <summary>Registers the Docker-backed container runtime.</summary>
public static class ServiceCollectionExtensions
{
    /// <summary>Adds <see cref="IContainerRuntime"/> talking to the engine configured in <see cref="DockerOptions"/>.</summary>
    public static IServiceCollection AddDockerContainerRuntime(this IServiceCollection services)
    {
        services.AddOptions<DockerOptions>();
        services.TryAddSingleton<IContainerRuntime, DockerContainerRuntime>();
        services.AddOptions<DaemonInjectionOptions>();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<DaemonBundle>();
        services.AddOptions<RegistryOptions>();
        services.TryAddSingleton<ImageTransfers>();
        services.TryAddSingleton<ISandboxContainers, SandboxContainers>();
        return services;
    }
}
