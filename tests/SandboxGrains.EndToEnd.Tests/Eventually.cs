using System.Diagnostics;

namespace SandboxGrains.EndToEnd.Tests;

/// <summary>Polls a condition until it holds or a deadline passes (no sleeps standing in for "long enough").</summary>
internal static class Eventually
{
    public static async Task<T> WaitAsync<T>(Func<Task<T>> observe, Func<T, bool> done, TimeSpan deadline, string what)
    {
        var clock = Stopwatch.StartNew();
        T last;
        while (true)
        {
            last = await observe();
            if (done(last))
            {
                return last;
            }

            if (clock.Elapsed > deadline)
            {
                Assert.Fail($"{what} did not happen within {deadline.TotalSeconds} s; last seen: {last}");
            }

            await Task.Delay(100, TestContext.Current.CancellationToken);
        }
    }

    /// <summary>What <paramref name="call"/> returns, or null when it failed the way a cluster in churn makes calls fail.</summary>
    public static async Task<T?> TryAsync<T>(Func<Task<T>> call)
        where T : class
    {
        try
        {
            return await call();
        }
        catch (Exception e) when (e is HttpRequestException or SandboxGrainsException or TaskCanceledException)
        {
            return null;
        }
    }
}
