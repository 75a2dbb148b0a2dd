using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace SandboxGrains.Docker;

/// <summary>Registers the Docker-backed container runtime.</summary>
public static class ServiceCollectionExtensions
{
    /// <summary>Adds <see cref="IContainerRuntime"/> talking to the engine configured in <see cref="DockerOptions"/>.</summary>
    public static IServiceCollection AddDockerContainerRuntime(this IServiceCollection services)
    {
        services.AddOptions<DockerOptions>();
        services.TryAddSingleton<IContainerRuntime, DockerContainerRuntime>();
        return services;
    }
}
