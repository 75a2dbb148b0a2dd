namespace SandboxGrains.Grains.Routing;

/// <summary>
/// Tells every active silo something through a grain service of its own, at once, and returns once each has answered
/// or <see cref="Patience"/> ran out for it (a silo that slow is on its way out of the cluster).
/// </summary>
internal static class SiloBroadcast
{
    /// <summary>How long one silo may take to acknowledge.</summary>
    internal static readonly TimeSpan Patience = TimeSpan.FromSeconds(1);

    public static Task ToActiveSilosAsync(IClusterMembershipService membership, Func<SiloAddress, Task> notice, Action<SiloAddress, Exception> failed) =>
        Task.WhenAll(membership.CurrentSnapshot.Members.Values
            .Where(member => member.Status == SiloStatus.Active)
            .Select(async member =>
            {
                try
                {
                    await notice(member.SiloAddress).WaitAsync(Patience);
                }
                catch (Exception e)
                {
                    failed(member.SiloAddress, e);
                }
            }));
}
