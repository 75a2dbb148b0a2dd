namespace SandboxGrains.Bench;

/// <summary>What to run and how long: the full suite by default, <c>--quick</c> for a short pass.</summary>
internal sealed record BenchOptions(bool Quick, IReadOnlySet<string>? Only, string? OutFile)
{
    public int Rounds { get; init; } = 3;

    public TimeSpan LoadDuration => Quick ? TimeSpan.FromSeconds(3) : TimeSpan.FromSeconds(10);

    public int Connections { get; init; } = 32;

    public bool Wants(string suite) => Only is null || Only.Contains(suite);

    public static BenchOptions Parse(string[] args)
    {
        var quick = false;
        IReadOnlySet<string>? only = null;
        string? outFile = null;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--quick":
                    quick = true;
                    break;
                case "--only" when i + 1 < args.Length:
                    only = args[++i].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal);
                    break;
                case "--out" when i + 1 < args.Length:
                    outFile = args[++i];
                    break;
                default:
                    throw new ArgumentException($"unknown argument {args[i]}; use --quick, --only daemon,preview, --out FILE");
            }
        }

        return new BenchOptions(quick, only, outFile);
    }
}
