using System.Globalization;
using SandboxGrains.Sandboxes;

namespace SandboxGrains.WarmPools;

/// <summary>
/// What a warm pool keeps ready: <see cref="Size"/> started sandboxes of one image, size and injection. A create whose
/// image, resources and injection are these, and that asks for nothing a running container cannot take any more (its
/// own command, user, work directory), claims one of them instead of waiting for a cold container.
/// </summary>
[GenerateSerializer, Immutable, Alias("sandboxgrains.WarmPoolSpec")]
public sealed record WarmPoolSpec
{
    /// <summary>Most sandboxes one pool may keep.</summary>
    public const int MaxSize = 1000;

    [Id(0)] public required string Image { get; init; }
    [Id(1)] public double Cpu { get; init; }
    [Id(2)] public long MemoryMb { get; init; }
    [Id(3)] public InjectionMode Injection { get; init; }
    [Id(4)] public int Size { get; init; }

    /// <summary>The one key per kind of sandbox: two pools of the same kind would compete for the same creates.</summary>
    public string Kind => string.Create(CultureInfo.InvariantCulture, $"{Image}|{Cpu}|{MemoryMb}|{Injection.Name()}");

    /// <summary>True when a create of <paramref name="spec"/> may be served by one of this pool's sandboxes.</summary>
    public static bool CanServe(SandboxSpec spec) => spec is { Cmd: null, User: null, WorkDir: null, PoolId: null, Snapshot: null, Volumes.Count: 0 };

    /// <summary>The kind of sandbox a create asks for, in the terms of <see cref="Kind"/>.</summary>
    public static string KindOf(SandboxSpec spec) => new WarmPoolSpec { Image = spec.Image, Cpu = spec.Cpu, MemoryMb = spec.MemoryMb, Injection = spec.Injection }.Kind;

    /// <summary>A sandbox made for the pool: no name, labels or environment of a caller, and no policy acts on it while it waits.</summary>
    public SandboxSpec MemberSpec(string poolId, long pidsLimit) => new()
    {
        Image = Image,
        Cpu = Cpu,
        MemoryMb = MemoryMb,
        Injection = Injection,
        PidsLimit = pidsLimit,
        PoolId = poolId,
        Policies = new SandboxPolicies { AutoStopMinutes = 0, AutoArchiveMinutes = 0 },
    };
}

/// <summary>A warm pool as grains and the API see it: its spec and how many of its sandboxes are ready now.</summary>
[GenerateSerializer, Immutable, Alias("sandboxgrains.WarmPoolInfo")]
public sealed record WarmPoolInfo
{
    [Id(0)] public required string Id { get; init; }
    [Id(1)] public required WarmPoolSpec Spec { get; init; }

    /// <summary>Started and waiting to be claimed.</summary>
    [Id(2)] public int Ready { get; init; }

    /// <summary>Being made (or looked at again after a restart).</summary>
    [Id(3)] public int Provisioning { get; init; }

    [Id(4)] public DateTimeOffset CreatedAt { get; init; }

    /// <summary>Why the last refill failed (no room, image gone); null once one succeeds.</summary>
    [Id(5)] public string? LastError { get; init; }
}

/// <summary>A warm pool on the wire: what <c>/api/v1/warm-pools</c> answers and the HTTP client returns.</summary>
public sealed record WarmPool(
    string Id, string Image, double Cpu, long MemoryMb, string Injection, int Size, int Ready, int Provisioning, DateTimeOffset CreatedAt, string? LastError)
{
    public static WarmPool From(WarmPoolInfo info) => new(
        info.Id, info.Spec.Image, info.Spec.Cpu, info.Spec.MemoryMb, info.Spec.Injection.Name(), info.Spec.Size, info.Ready, info.Provisioning, info.CreatedAt, info.LastError);
}

/// <summary><c>POST /api/v1/warm-pools</c>: <c>{image, cpu, memoryMb, injection?, size}</c>; left out, the sandbox defaults apply.</summary>
public sealed record CreateWarmPoolRequest
{
    public string? Image { get; init; }
    public double? Cpu { get; init; }
    public long? MemoryMb { get; init; }
    public string? Injection { get; init; }
    public int? Size { get; init; }
}

/// <summary><c>PATCH /api/v1/warm-pools/{id}</c>: <c>{size}</c>.</summary>
public sealed record UpdateWarmPoolRequest
{
    public int? Size { get; init; }
}

/// <summary>Pool requests to grain requests, or the first bad field; image, resources and injection are checked as a create checks them.</summary>
public static class WarmPoolRequests
{
    public static (WarmPoolSpec? Spec, InvalidField? Problem) ToSpec(CreateWarmPoolRequest body, SandboxOptions defaults)
    {
        var (sandbox, problem) = SandboxRequests.ToSpec(
            new CreateSandboxRequest { Image = body.Image, Cpu = body.Cpu, MemoryMb = body.MemoryMb, Injection = body.Injection }, defaults);
        if (sandbox is null)
        {
            return (null, problem);
        }

        if (SizeProblem(body.Size) is { } sizeProblem)
        {
            return (null, sizeProblem);
        }

        return (new WarmPoolSpec { Image = sandbox.Image, Cpu = sandbox.Cpu, MemoryMb = sandbox.MemoryMb, Injection = sandbox.Injection, Size = body.Size!.Value }, null);
    }

    /// <summary>Why a size cannot be a pool's, or null when it can.</summary>
    public static InvalidField? SizeProblem(int? size) => size switch
    {
        null => new InvalidField("size", "is required: how many sandboxes the pool keeps started"),
        < 0 or > WarmPoolSpec.MaxSize => new InvalidField("size", $"must be from 0 to {WarmPoolSpec.MaxSize}"),
        _ => null,
    };
}
