using SandboxGrains.Images;
using SandboxGrains.Silo.Api;

namespace SandboxGrains.Silo.Images;

/// <summary>
/// <c>/api/v1/images</c>: the images on every runner (size, when last used, which sandboxes use them), and removing the
/// ones nobody uses. References hold '/' and ':', so a delete takes the rest of the path.
/// </summary>
internal static class ImagesApi
{
    public static RouteGroupBuilder MapImagesApi(this RouteGroupBuilder api)
    {
        var images = api.MapGroup("/images").AddEndpointFilter<SandboxErrorFilter>();
        images.MapGet("/", ListAsync).WithName("ListImages").WithSummary("Every tagged image on every runner, with the sandboxes using it").Produces<ImageList>();
        images.MapDelete("/{**image}", DeleteAsync).WithName("DeleteImage").WithSummary("Remove an image from the runners that hold it")
            .Produces(StatusCodes.Status204NoContent).Answers(SandboxErrorCodes.ImageInUse, SandboxErrorCodes.ImageNotFound, SandboxErrorCodes.RunnerUnreachable, SandboxErrorCodes.DockerUnavailable);
        return api;
    }

    private static async Task<IResult> ListAsync(IGrainFactory grains, string? runnerId, CancellationToken cancellationToken)
    {
        var answers = await EachRunner.AskAsync(grains, runnerId, runner => runner.ListImagesAsync(cancellationToken), cancellationToken);
        return TypedResults.Ok(new ImageList(
            [.. answers.Where(a => a.Answer is not null).SelectMany(a => a.Answer!.Select(i => ImageDto.From(a.RunnerId, i)))],
            EachRunner.Unreachable(answers)));
    }

    /// <summary>
    /// Removes the image from the runner named by <c>runnerId</c>, or from every runner that has it; refused (409) where a
    /// sandbox uses it or it is an archive or a snapshot. 404 when no runner has it.
    /// </summary>
    private static async Task<IResult> DeleteAsync(IGrainFactory grains, string image, string? runnerId, CancellationToken cancellationToken)
    {
        if (!ImageReference.TryParse(image, out _, out var problem))
        {
            return Problems.InvalidField("image", problem);
        }

        var holders = (await EachRunner.AskAsync(grains, runnerId, runner => runner.ListImagesAsync(cancellationToken), cancellationToken))
            .Where(a => a.Answer?.Any(i => i.Image == image) == true)
            .Select(a => a.RunnerId)
            .ToList();
        if (holders.Count == 0)
        {
            return Problems.NotFound(SandboxErrorCodes.ImageNotFound, $"image {image} is on no reachable runner{(runnerId is null ? "" : $" named {runnerId}")}");
        }

        foreach (var holder in holders)
        {
            await grains.GetGrain<IRunnerGrain>(holder).DeleteImageAsync(image, cancellationToken);
        }

        return TypedResults.NoContent();
    }

    /// <summary>Every image on the runners that answered, and the runners that could not be asked.</summary>
    internal sealed record ImageList(IReadOnlyList<ImageDto> Items, IReadOnlyList<string> UnreachableRunners);

    /// <summary>One image on one runner, on the wire.</summary>
    internal sealed record ImageDto(
        string RunnerId, string Image, string Id, long SizeBytes, DateTimeOffset CreatedAt, DateTimeOffset? LastUsedAt, IReadOnlyList<string> UsedBy, string? Owner)
    {
        public static ImageDto From(string runnerId, RunnerImage image) =>
            new(runnerId, image.Image, image.Id, image.SizeBytes, image.CreatedAt, image.LastUsedAt, image.UsedBy, image.Owner);
    }
}
