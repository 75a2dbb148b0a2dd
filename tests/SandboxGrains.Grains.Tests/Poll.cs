namespace SandboxGrains.Grains.Tests;

/// <summary>Waits for something grains do in the background, with a deadline and a message that says what never happened.</summary>
public static class Poll
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan Pause = TimeSpan.FromMilliseconds(20);

    /// <summary>Returns once <paramref name="condition"/> holds; fails after the deadline naming <paramref name="what"/>.</summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTimeOffset.UtcNow + Deadline;
        while (!await condition())
        {
            if (DateTimeOffset.UtcNow > deadline)
            {
                throw new TimeoutException($"{what}: still not true after {Deadline.TotalSeconds:0} s");
            }

            await Task.Delay(Pause, Xunit.TestContext.Current.CancellationToken);
        }
    }

    /// <summary>The synchronous form, for conditions on in-memory fakes.</summary>
    public static Task UntilAsync(Func<bool> condition, string what) => UntilAsync(() => Task.FromResult(condition()), what);
}
