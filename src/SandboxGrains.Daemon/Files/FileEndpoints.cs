using System.Globalization;
using System.IO.Enumeration;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;
using SandboxGrains.Daemon.Http;
using SandboxGrains.Daemon.Native;

namespace SandboxGrains.Daemon.Files;

/// <summary>The <c>/files</c> routes, with Daytona's paths, shapes and status codes.</summary>
internal static class FileEndpoints
{
    /// <summary>The boundary Daytona's daemon uses for bulk downloads.</summary>
    public const string DownloadBoundary = "DAYTONA-FILE-BOUNDARY";

    private const int MaxFindMatches = 10_000;

    public static void MapFileEndpoints(this IEndpointRouteBuilder app)
    {
        var files = app.MapGroup("/files");
        files.MapGet("", List);
        files.MapGet("/info", (HttpContext c, DaemonOptions o) =>
            TypedResults.Json(FileDescriber.Describe(FilePaths.Existing(FilePaths.Resolve(c.Request.Query["path"], o))), DaemonJson.Default.FileInfoDto));
        files.MapPost("/folder", CreateFolder);
        files.MapDelete("", Delete);
        files.MapPost("/move", Move);
        files.MapGet("/find", Find);
        files.MapGet("/search", Search);
        files.MapPost("/replace", ReplaceAsync);
        files.MapPost("/permissions", SetPermissions);
        files.MapGet("/download", Download);
        files.MapPost("/upload", UploadAsync);
        files.MapPost("/bulk-upload", BulkUploadAsync);
        files.MapPost("/bulk-download", BulkDownloadAsync);
    }

    private static IResult List(HttpContext context, DaemonOptions options)
    {
        var path = FilePaths.Resolve(Query.Optional(context.Request, "path") ?? options.WorkDir, options);
        if (!Directory.Exists(path))
        {
            throw File.Exists(path)
                ? DaemonError.BadRequest($"{path} is a file, not a directory", "INVALID_FILE_PATH")
                : DaemonError.NotFound($"directory not found: {path}", "FILE_NOT_FOUND");
        }

        var depth = int.TryParse(Query.Optional(context.Request, "depth"), CultureInfo.InvariantCulture, out var d) && d > 1 ? d : 1;
        var entries = new List<FileInfoDto>();
        Collect(new DirectoryInfo(path), depth, entries);
        return TypedResults.Json(entries, DaemonJson.Default.ListFileInfoDto);

        static void Collect(DirectoryInfo dir, int depth, List<FileInfoDto> into)
        {
            foreach (var entry in dir.EnumerateFileSystemInfos().OrderBy(e => e.Name, StringComparer.Ordinal))
            {
                into.Add(FileDescriber.Describe(entry));
                if (depth > 1 && entry is DirectoryInfo child && child.LinkTarget is null)
                {
                    Collect(child, depth - 1, into);
                }
            }
        }
    }

    private static IResult CreateFolder(HttpContext context, DaemonOptions options)
    {
        var path = FilePaths.Resolve(context.Request.Query["path"], options);
        if (File.Exists(path))
        {
            throw DaemonError.Conflict($"{path} exists and is a file", "FILE_EXISTS");
        }

        var mode = ParseMode(Query.Optional(context.Request, "mode") ?? "755");
        Directory.CreateDirectory(path, mode);
        return TypedResults.StatusCode(StatusCodes.Status201Created);
    }

    private static IResult Delete(HttpContext context, DaemonOptions options)
    {
        var path = FilePaths.Resolve(context.Request.Query["path"], options);
        var info = FilePaths.Existing(path);
        if (info is DirectoryInfo dir && dir.LinkTarget is null)
        {
            var recursive = Query.Flag(context.Request, "recursive");
            if (!recursive && dir.EnumerateFileSystemInfos().Any())
            {
                throw DaemonError.BadRequest($"{path} is a directory that is not empty; pass recursive=true", "DIRECTORY_NOT_EMPTY");
            }

            dir.Delete(recursive);
        }
        else
        {
            info.Delete();
        }

        return TypedResults.NoContent();
    }

    private static IResult Move(HttpContext context, DaemonOptions options)
    {
        var source = FilePaths.Resolve(context.Request.Query["source"], options, "source");
        var destination = FilePaths.Resolve(context.Request.Query["destination"], options, "destination");
        var info = FilePaths.Existing(source);
        if (File.Exists(destination) || Directory.Exists(destination))
        {
            throw DaemonError.Conflict($"destination {destination} already exists", "FILE_EXISTS");
        }

        Directory.CreateDirectory(Path.GetDirectoryName(destination) ?? "/");
        if (info is DirectoryInfo)
        {
            Directory.Move(source, destination);
        }
        else
        {
            File.Move(source, destination);
        }

        return TypedResults.Ok();
    }

    private static IResult Find(HttpContext context, DaemonOptions options)
    {
        var root = FilePaths.Resolve(context.Request.Query["path"], options);
        var pattern = Query.Required(context.Request, "pattern");
        Regex regex;
        try
        {
            regex = new Regex(pattern, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
        }
        catch (ArgumentException e)
        {
            throw DaemonError.BadRequest($"pattern is not a valid regular expression: {e.Message}", "INVALID_PATTERN");
        }

        var matches = new List<FindMatch>();
        foreach (var file in FilesUnder(FilePaths.Existing(root)))
        {
            try
            {
                var number = 0;
                foreach (var line in File.ReadLines(file))
                {
                    number++;
                    if (regex.IsMatch(line))
                    {
                        matches.Add(new FindMatch(file, number, line));
                        if (matches.Count >= MaxFindMatches)
                        {
                            return TypedResults.Json(matches, DaemonJson.Default.ListFindMatch);
                        }
                    }
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or RegexMatchTimeoutException)
            {
                // Unreadable files are skipped, as grep -r does.
            }
        }

        return TypedResults.Json(matches, DaemonJson.Default.ListFindMatch);
    }

    private static IResult Search(HttpContext context, DaemonOptions options)
    {
        var root = FilePaths.Resolve(context.Request.Query["path"], options);
        var pattern = Query.Required(context.Request, "pattern");
        var found = new List<string>();
        var start = FilePaths.Existing(root);
        if (start is DirectoryInfo dir)
        {
            foreach (var entry in dir.EnumerateFileSystemInfos("*", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = 0 }))
            {
                if (FileSystemName.MatchesSimpleExpression(pattern, entry.Name, ignoreCase: false))
                {
                    found.Add(entry.FullName);
                }
            }
        }
        else if (FileSystemName.MatchesSimpleExpression(pattern, start.Name, ignoreCase: false))
        {
            found.Add(start.FullName);
        }

        return TypedResults.Json(new SearchResult(found), DaemonJson.Default.SearchResult);
    }

    private static async Task<IResult> ReplaceAsync(HttpContext context, DaemonOptions options)
    {
        var request = await Query.BodyAsync(context.Request, DaemonJson.Default.ReplaceRequest);
        if (request.Files is not { Count: > 0 } || string.IsNullOrEmpty(request.Pattern) || request.NewValue is null)
        {
            throw DaemonError.BadRequest("'files', 'pattern' and 'newValue' are required", "INVALID_BODY");
        }

        var results = new List<ReplaceResult>();
        foreach (var given in request.Files)
        {
            try
            {
                var path = FilePaths.Resolve(given, options, "files");
                var file = FilePaths.ExistingFile(path);
                var text = await File.ReadAllTextAsync(file.FullName, context.RequestAborted);
                var replaced = text.Replace(request.Pattern, request.NewValue, StringComparison.Ordinal);
                if (!ReferenceEquals(text, replaced))
                {
                    await using var content = new MemoryStream(Encoding.UTF8.GetBytes(replaced));
                    await FilePaths.WriteAtomicallyAsync(file.FullName, content, context.RequestAborted);
                    File.SetUnixFileMode(file.FullName, file.UnixFileMode);
                }

                results.Add(new ReplaceResult(given, true, null));
            }
            catch (Exception e) when (e is DaemonError or IOException or UnauthorizedAccessException)
            {
                results.Add(new ReplaceResult(given, false, e.Message));
            }
        }

        return TypedResults.Json(results, DaemonJson.Default.ListReplaceResult);
    }

    private static IResult SetPermissions(HttpContext context, DaemonOptions options)
    {
        var path = FilePaths.Resolve(context.Request.Query["path"], options);
        var info = FilePaths.Existing(path);
        if (Query.Optional(context.Request, "mode") is { } mode)
        {
            info.UnixFileMode = ParseMode(mode);
        }

        var owner = Query.Optional(context.Request, "owner");
        var group = Query.Optional(context.Request, "group");
        if (owner is not null || group is not null)
        {
            var uid = owner is null ? -1 : FileDescriber.IdOf("/etc/passwd", owner) ?? throw DaemonError.BadRequest($"unknown user {owner}", "INVALID_OWNER");
            var gid = group is null ? -1 : FileDescriber.IdOf("/etc/group", group) ?? throw DaemonError.BadRequest($"unknown group {group}", "INVALID_GROUP");
            if (Libc.Chown(path, uid, gid) != 0)
            {
                throw FileDescriber.AccessDenied(path);
            }
        }

        return TypedResults.Ok();
    }

    private static IResult Download(HttpContext context, DaemonOptions options)
    {
        var file = FilePaths.ExistingFile(FilePaths.Resolve(context.Request.Query["path"], options));
        return TypedResults.PhysicalFile(file.FullName, "application/octet-stream", file.Name, enableRangeProcessing: true);
    }

    /// <summary>Single-file upload: the raw body, or the first file part of a multipart body, streamed to disk.</summary>
    private static async Task<IResult> UploadAsync(HttpContext context, DaemonOptions options)
    {
        DaemonPipeline.SetBodyLimit(context, options.MaxBodyBytes);
        var path = FilePaths.Resolve(context.Request.Query["path"], options);
        long bytes;
        if (MultipartBoundary(context.Request) is { } boundary)
        {
            var reader = new MultipartReader(boundary, context.Request.Body);
            MultipartSection? section;
            while ((section = await reader.ReadNextSectionAsync(context.RequestAborted)) is not null)
            {
                if (section.GetContentDispositionHeader() is { } disposition && disposition.IsFileDisposition())
                {
                    break;
                }
            }

            if (section is null)
            {
                throw DaemonError.BadRequest("the multipart body has no file part", "INVALID_BODY");
            }

            bytes = await FilePaths.WriteAtomicallyAsync(path, section.Body, context.RequestAborted);
        }
        else
        {
            bytes = await FilePaths.WriteAtomicallyAsync(path, context.Request.Body, context.RequestAborted);
        }

        return TypedResults.Json(new UploadResult([new UploadedFile(path, bytes)]), DaemonJson.Default.UploadResult);
    }

    /// <summary>Daytona's bulk upload: for each i, a field <c>files[i].path</c> then a file part <c>files[i].file</c>.</summary>
    private static async Task<IResult> BulkUploadAsync(HttpContext context, DaemonOptions options)
    {
        DaemonPipeline.SetBodyLimit(context, options.MaxBodyBytes);
        var boundary = MultipartBoundary(context.Request) ?? throw DaemonError.BadRequest("expected a multipart/form-data body", "INVALID_BODY");
        var reader = new MultipartReader(boundary, context.Request.Body) { BodyLengthLimit = null };
        var destinations = new Dictionary<string, string>(StringComparer.Ordinal);
        var uploaded = new List<UploadedFile>();
        MultipartSection? section;
        while ((section = await reader.ReadNextSectionAsync(context.RequestAborted)) is not null)
        {
            var disposition = section.GetContentDispositionHeader();
            var name = HeaderUtilities.RemoveQuotes(disposition?.Name ?? default).ToString();
            var match = Regex.Match(name, @"^files\[(\d+)\]\.(path|file)$");
            if (!match.Success)
            {
                continue;
            }

            var index = match.Groups[1].Value;
            if (match.Groups[2].Value == "path")
            {
                destinations[index] = await new StreamReader(section.Body, Encoding.UTF8).ReadToEndAsync(context.RequestAborted);
                continue;
            }

            if (!destinations.TryGetValue(index, out var destination))
            {
                throw DaemonError.BadRequest($"files[{index}].file came before files[{index}].path", "INVALID_BODY");
            }

            var path = FilePaths.Resolve(destination, options, $"files[{index}].path");
            var bytes = await FilePaths.WriteAtomicallyAsync(path, section.Body, context.RequestAborted);
            uploaded.Add(new UploadedFile(path, bytes));
        }

        if (uploaded.Count == 0)
        {
            throw DaemonError.BadRequest("no files[i].path / files[i].file pairs in the body", "INVALID_BODY");
        }

        return TypedResults.Json(new UploadResult(uploaded), DaemonJson.Default.UploadResult);
    }

    /// <summary>
    /// Daytona's bulk download: 200 with a <c>multipart/form-data</c> body, one part per requested path, a JSON
    /// <c>error</c> part for each path that cannot be read.
    /// </summary>
    private static async Task BulkDownloadAsync(HttpContext context, DaemonOptions options)
    {
        var request = await Query.BodyAsync(context.Request, DaemonJson.Default.BulkDownloadRequest);
        if (request.Paths is not { Count: > 0 })
        {
            throw DaemonError.BadRequest("'paths' must list at least one path", "INVALID_BODY");
        }

        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = $"multipart/form-data; boundary={DownloadBoundary}";
        var body = response.Body;
        foreach (var requested in request.Paths)
        {
            await WriteAsciiAsync(body, $"--{DownloadBoundary}\r\n", context.RequestAborted);
            FileInfo file;
            try
            {
                file = FilePaths.ExistingFile(FilePaths.Resolve(requested, options, "paths"));
            }
            catch (DaemonError e)
            {
                var error = System.Text.Json.JsonSerializer.Serialize(
                    new ErrorBody(e.StatusCode, e.Message, e.Code, DateTimeOffset.UtcNow, requested, "POST"), DaemonJson.Default.ErrorBody);
                await WriteAsciiAsync(body, $"Content-Disposition: form-data; name=\"error\"; filename=\"{Escape(requested)}\"\r\nContent-Type: application/json\r\n\r\n", context.RequestAborted);
                await body.WriteAsync(Encoding.UTF8.GetBytes(error), context.RequestAborted);
                await WriteAsciiAsync(body, "\r\n", context.RequestAborted);
                continue;
            }

            await using var stream = new FileStream(file.FullName, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 81920, FileOptions.Asynchronous | FileOptions.SequentialScan);
            await WriteAsciiAsync(body,
                $"Content-Disposition: form-data; name=\"file\"; filename=\"{Escape(requested)}\"; filename*=utf-8''{Uri.EscapeDataString(requested)}\r\n" +
                $"Content-Type: application/octet-stream\r\nContent-Length: {stream.Length}\r\n\r\n", context.RequestAborted);
            await stream.CopyToAsync(body, 81920, context.RequestAborted);
            await WriteAsciiAsync(body, "\r\n", context.RequestAborted);
        }

        await WriteAsciiAsync(body, $"--{DownloadBoundary}--\r\n", context.RequestAborted);
    }

    private static IEnumerable<string> FilesUnder(FileSystemInfo start) => start switch
    {
        FileInfo file => [file.FullName],
        DirectoryInfo dir => dir.EnumerateFiles("*", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = 0 })
            .Select(f => f.FullName),
        _ => [],
    };

    private static string? MultipartBoundary(HttpRequest request) =>
        MediaTypeHeaderValue.TryParse(request.ContentType, out var type)
        && type.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase)
        && HeaderUtilities.RemoveQuotes(type.Boundary).ToString() is { Length: > 0 } boundary
            ? boundary
            : null;

    private static UnixFileMode ParseMode(string mode)
    {
        try
        {
            var value = Convert.ToInt32(mode, 8);
            if (value is < 0 or > 0xFFF)
            {
                throw new FormatException();
            }

            return (UnixFileMode)value;
        }
        catch (Exception e) when (e is FormatException or ArgumentException or OverflowException)
        {
            throw DaemonError.BadRequest($"mode '{mode}' is not an octal permission such as 755", "INVALID_MODE");
        }
    }

    private static string Escape(string value) => value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal);

    private static Task WriteAsciiAsync(Stream body, string text, CancellationToken cancellationToken) =>
        body.WriteAsync(Encoding.UTF8.GetBytes(text), cancellationToken).AsTask();
}
