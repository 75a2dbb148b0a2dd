namespace SandboxGrains.Docker;

/// <summary>Why a container operation failed, in words a person can act on.</summary>
public class ContainerRuntimeException : Exception
{
    public ContainerRuntimeException() { }

    public ContainerRuntimeException(string message) : base(message) { }

    public ContainerRuntimeException(string message, Exception? inner) : base(message, inner) { }
}

/// <summary>The Docker engine could not be reached at all.</summary>
public sealed class DockerUnavailableException(string message, Exception? inner) : ContainerRuntimeException(message, inner);

/// <summary>The container does not exist (any more).</summary>
public sealed class ContainerNotFoundException(string container, Exception? inner)
    : ContainerRuntimeException($"container {container} not found", inner)
{
    /// <summary>The id or name that was asked for.</summary>
    public string Container { get; } = container;
}

/// <summary>The image is not present on this engine (and nothing pulls it for us).</summary>
public sealed class ImageNotFoundException(string image, Exception? inner)
    : ContainerRuntimeException($"image {image} not found", inner)
{
    /// <summary>The image reference that was asked for.</summary>
    public string Image { get; } = image;
}
