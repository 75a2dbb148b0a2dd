using System.Globalization;

namespace SandboxGrains.Daemon.Git;

/// <summary>
/// Reads <c>git status --porcelain=v2 --branch -z</c> into Daytona's <c>GitStatus</c>: the branch, its upstream and
/// how far apart they are, and each changed file's state in the index (<c>staging</c>) and the work tree, in the words
/// Daytona uses (<c>Modified</c>, <c>Untracked</c>, …). The v2 format with NUL separators is git's stable one for
/// programs: paths arrive unquoted, spaces and all.
/// </summary>
internal static class GitStatusReader
{
    public static readonly string[] Arguments = ["status", "--porcelain=v2", "--branch", "-z", "--untracked-files=all"];

    public static GitStatusResponse Read(string porcelain)
    {
        string branch = "HEAD", upstream = "";
        var detached = false;
        int ahead = 0, behind = 0;
        var files = new List<GitFileStatus>();
        var records = porcelain.Split('\0');
        for (var i = 0; i < records.Length; i++)
        {
            var record = records[i];
            if (record.StartsWith("# branch.head ", StringComparison.Ordinal))
            {
                branch = record["# branch.head ".Length..];
                detached = branch == "(detached)";
                branch = detached ? "HEAD" : branch;
            }
            else if (record.StartsWith("# branch.upstream ", StringComparison.Ordinal))
            {
                upstream = record["# branch.upstream ".Length..];
            }
            else if (record.StartsWith("# branch.ab ", StringComparison.Ordinal))
            {
                var counts = record["# branch.ab ".Length..].Split(' ');
                ahead = int.Parse(counts[0].TrimStart('+'), CultureInfo.InvariantCulture);
                behind = int.Parse(counts[1].TrimStart('-'), CultureInfo.InvariantCulture);
            }
            else if (record.StartsWith("1 ", StringComparison.Ordinal))
            {
                // 1 XY sub mH mI mW hH hI path
                files.Add(Entry(record[2], record[3], Field(record, 8), ""));
            }
            else if (record.StartsWith("2 ", StringComparison.Ordinal))
            {
                // 2 XY sub mH mI mW hH hI Xscore path, then the path it came from as the next record.
                files.Add(Entry(record[2], record[3], Field(record, 9), i + 1 < records.Length ? records[++i] : ""));
            }
            else if (record.StartsWith("u ", StringComparison.Ordinal))
            {
                // u XY sub m1 m2 m3 mW h1 h2 h3 path
                files.Add(new GitFileStatus(Field(record, 10), Unmerged, Unmerged, ""));
            }
            else if (record.StartsWith("? ", StringComparison.Ordinal))
            {
                files.Add(new GitFileStatus(record[2..], Untracked, Untracked, ""));
            }
        }

        return new GitStatusResponse(branch, files, ahead, behind, upstream.Length > 0, upstream.Length > 0 ? upstream : null, detached);
    }

    private const string Untracked = "Untracked";
    private const string Unmerged = "Updated but unmerged";

    private static GitFileStatus Entry(char index, char worktree, string path, string from) =>
        new(path, State(index), State(worktree), from);

    private static string State(char code) => code switch
    {
        '.' => "Unmodified",
        'M' or 'T' => "Modified",
        'A' => "Added",
        'D' => "Deleted",
        'R' => "Renamed",
        'C' => "Copied",
        'U' => Unmerged,
        _ => "Unmodified",
    };

    /// <summary>The rest of <paramref name="record"/> after <paramref name="skip"/> space-separated fields (a path may hold spaces).</summary>
    private static string Field(string record, int skip)
    {
        var at = 0;
        for (var n = 0; n < skip; n++)
        {
            at = record.IndexOf(' ', at) + 1;
        }

        return record[at..];
    }
}
