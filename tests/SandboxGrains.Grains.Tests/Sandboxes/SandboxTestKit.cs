using SandboxGrains.Grains.Sandboxes;
using SandboxGrains.Runners;
using SandboxGrains.Sandboxes;
using Xunit;

namespace SandboxGrains.Grains.Tests.Sandboxes;

/// <summary>What the sandbox grain tests do over and over: make a started sandbox, read the runner and the registry, fire one health check.</summary>
internal static class SandboxTestKit
{
    public static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public static SandboxSpec Spec() => new()
    {
        Image = "sandboxgrains/busybox:latest",
        Cpu = 0.5,
        MemoryMb = 256,
        Labels = new Dictionary<string, string> { ["team"] = "blue" },
        Env = new Dictionary<string, string> { ["GREETING"] = "hello" },
    };

    public static ISandboxGrain Sandbox(this ClusterFixture fixture, string id) => fixture.Grains.GetGrain<ISandboxGrain>(id);

    /// <summary>A sandbox created with <c>wait</c>, started on the fixture's runner.</summary>
    public static async Task<(ISandboxGrain Grain, SandboxInfo Info)> CreateStartedAsync(this ClusterFixture fixture)
    {
        await fixture.BeatAsync();
        var grain = fixture.Sandbox(SandboxIds.New());
        var info = await grain.CreateAsync(Spec(), wait: true, Cancel);
        Assert.Equal(SandboxState.Started, info.State);
        return (grain, info);
    }

    /// <summary>How many sandboxes hold a reservation on the fixture's runner.</summary>
    public static async Task<int> ReservationsAsync(this ClusterFixture fixture) =>
        (await fixture.Grains.GetGrain<IRunnerGrain>(ClusterFixture.RunnerId).GetInfoAsync()).SandboxCount;

    /// <summary>Whether the sandbox registry lists the id.</summary>
    public static async Task<bool> IsListedAsync(this ClusterFixture fixture, string sandboxId) =>
        (await fixture.Grains.GetGrain<ISandboxRegistryGrain>(ISandboxRegistryGrain.Key).ListAsync(null, int.MaxValue, Cancel)).Contains(sandboxId);

    /// <summary>The sandbox's error code when reading it fails, or null when it reads fine.</summary>
    public static async Task<string?> ReadErrorAsync(this ISandboxGrain grain)
    {
        try
        {
            await grain.GetAsync(Cancel);
            return null;
        }
        catch (SandboxException e)
        {
            return e.Code;
        }
    }

    /// <summary>
    /// Fires the sandbox's health check once and returns when that check has finished. The clock is advanced until the
    /// runner sees the check; advancing while a check runs fires nothing (the timer re-arms only when a tick completes),
    /// so there is never a second one. The call at the end does not interleave with the timer's turn, so it answers only
    /// after the check has recorded what it found.
    /// </summary>
    public static async Task CheckHealthOnceAsync(this ClusterFixture fixture, ISandboxGrain grain, string containerId)
    {
        var before = fixture.Containers.ChecksOf(containerId);
        await Poll.UntilAsync(
            () =>
            {
                if (fixture.Containers.ChecksOf(containerId) > before)
                {
                    return true;
                }

                fixture.Time.Advance(SandboxHealth.CheckPeriod);
                return false;
            },
            $"a health check of {containerId}");
        await grain.RevokePreviewAsync("no-such-link", Cancel);
    }
}
