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

/// <summary>Why a pull or push failed, so the API can tell a missing image from a registry problem.</summary>
public enum RegistryFailure
{
    /// <summary>The registry answered: it has no such image or tag.</summary>
    NotFound,

    /// <summary>The registry wants credentials we do not have, or refused the ones we sent.</summary>
    Unauthorized,

    /// <summary>The registry could not be reached at all.</summary>
    Unreachable,

    /// <summary>Anything else (a broken layer, a full disk, a timeout).</summary>
    Other,
}

/// <summary>Pulling an image from its registry, or pushing one to it, failed; the message says why in words a person can act on.</summary>
public sealed class RegistryException(string image, RegistryFailure failure, string message, Exception? inner = null)
    : ContainerRuntimeException(message, inner)
{
    /// <summary>The image reference that was pulled or pushed.</summary>
    public string Image { get; } = image;

    /// <summary>What kind of failure it was.</summary>
    public RegistryFailure Failure { get; } = failure;
}

/// <summary>A volume cannot be removed: containers (running or not) still mount it.</summary>
public sealed class VolumeInUseException(string volume, IReadOnlyList<string> containers, Exception? inner)
    : ContainerRuntimeException($"volume {volume} is in use by {containers.Count} container(s)", inner)
{
    /// <summary>The volume that was to be removed.</summary>
    public string Volume { get; } = volume;

    /// <summary>The ids of the containers that mount it, as the engine named them.</summary>
    public IReadOnlyList<string> Containers { get; } = containers;
}

/// <summary>A named volume a sandbox asks for is not on this engine.</summary>
public sealed class VolumeNotFoundException(string volume)
    : ContainerRuntimeException($"volume {volume} not found")
{
    /// <summary>The volume's name.</summary>
    public string Volume { get; } = volume;
}

/// <summary>An image cannot be removed: something of ours or a container still needs it (the message says what).</summary>
public sealed class ImageInUseException(string image, string message) : ContainerRuntimeException(message)
{
    /// <summary>The image that was to be removed.</summary>
    public string Image { get; } = image;
}
