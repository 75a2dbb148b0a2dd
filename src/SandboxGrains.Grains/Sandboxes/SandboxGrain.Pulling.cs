namespace SandboxGrains.Grains.Sandboxes;

/// <summary>
/// A create whose image is not on its runner: the runner pulls it (one pull per image per runner, shared by every create
/// waiting for it) while the sandbox shows state <c>pulling</c> and how far the pull has come, then the create runs again.
/// The first attempt costs nothing extra when the image is there, which is nearly always.
/// </summary>
internal sealed partial class SandboxGrain
{
    private static readonly TimeSpan PullProgressPeriod = TimeSpan.FromMilliseconds(500);

    // Read by interleaved gets while the pull runs; not stored, since a pull does not outlive its silo.
    private PullProgress? _pullProgress;

    private async Task<SandboxContainer> CreateContainerAsync(IRunnerGrain runner, SandboxContainerRequest request)
    {
        try
        {
            return await runner.CreateSandboxContainerAsync(request);
        }
        catch (SandboxException e) when (e.Code == SandboxErrorCodes.ImageNotFound)
        {
            await PullAsync(runner, request.Spec.Image, SandboxState.Creating);
        }

        return await runner.CreateSandboxContainerAsync(request);
    }

    /// <summary>Pulls <paramref name="image"/> onto <paramref name="runner"/> in state pulling, then goes back to <paramref name="resume"/>.</summary>
    private async Task PullAsync(IRunnerGrain runner, string image, SandboxState resume)
    {
        _pullProgress = PullProgress.Starting;
        await UpdateAsync(Info with { State = SandboxState.Pulling });
        logger.Pulling(Id, image, Info.RunnerId ?? "?");
        try
        {
            var pull = runner.PullImageAsync(image);
            var period = PullProgressPeriod / 5;
            var announced = DateTimeOffset.MinValue;
            while (await Task.WhenAny(pull, Task.Delay(period, time)) != pull)
            {
                // The first look soon (a small image is done in a moment), then every half second.
                var progress = await runner.GetPullProgressAsync(image) ?? _pullProgress;
                if (progress != _pullProgress)
                {
                    _pullProgress = progress;

                    // At most one event a second: every silo keeps every event, and a mass pull must not flush its buffer.
                    if (time.GetUtcNow() - announced >= TimeSpan.FromSeconds(1))
                    {
                        announced = time.GetUtcNow();
                        await events.PublishAsync(new ClusterEvent(ClusterEventTypes.SandboxPullProgress, announced, Id, Shown(Info)));
                    }
                }

                period = PullProgressPeriod;
            }

            await pull;
        }
        finally
        {
            _pullProgress = null;
        }

        await UpdateAsync(Info with { State = resume });
    }
}
