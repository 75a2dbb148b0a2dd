namespace SandboxGrains.Bench;

/// <summary>
/// What to run and how long: the full suite by default, <c>--quick</c> for a short pass, <c>--smoke</c> for the one tiny
/// case CI runs to prove the harness starts and measures.
/// </summary>
internal sealed record BenchOptions(bool Quick, bool Smoke, IReadOnlySet<string>? Only, string? OutFile)
{
    /// <summary>Every suite, in the order they run.</summary>
    public static readonly string[] Suites = ["daemon", "create", "first-command", "archive", "images", "toolbox", "files", "preview", "telemetry", "scale", "cluster", "relay", "ceiling"];

    /// <summary>Suites that run only when named: diagnoses, not targets.</summary>
    private static readonly string[] OnlyWhenNamed = ["ceiling"];

    public int Rounds { get; init; } = 3;

    public TimeSpan LoadDuration => Smoke ? TimeSpan.FromSeconds(1) : Quick ? TimeSpan.FromSeconds(1.5) : TimeSpan.FromSeconds(6);

    public int Connections { get; init; } = 32;

    /// <summary>Sandboxes created one after another for create-to-ready (the issue asks for 20).</summary>
    public int CreateCount => Quick ? 5 : 20;

    /// <summary>Creates sent at once in the burst mode of the time-to-first-command suite.</summary>
    public int BurstCount => Quick ? 20 : 50;

    /// <summary>Archive and restore rounds.</summary>
    public int ArchiveRounds => Quick ? 2 : 5;

    /// <summary>Sandboxes that exist at once in the scale suite.</summary>
    public int ScaleCount => Quick ? 50 : 300;

    /// <summary>Size of the file moved by the file-transfer suite.</summary>
    public int TransferMb { get; init; } = 100;

    public bool Wants(string suite) => Smoke ? suite == "toolbox" : Only?.Contains(suite) ?? !OnlyWhenNamed.Contains(suite);

    public static BenchOptions Parse(string[] args)
    {
        var quick = false;
        var smoke = false;
        IReadOnlySet<string>? only = null;
        string? outFile = null;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--quick":
                    quick = true;
                    break;
                case "--smoke":
                    smoke = true;
                    break;
                case "--all":
                    only = null;
                    break;
                case "--only" when i + 1 < args.Length:
                    only = args[++i].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal);
                    if (only.FirstOrDefault(s => !Suites.Contains(s)) is { } unknown)
                    {
                        throw new ArgumentException($"unknown suite {unknown}; the suites are {string.Join(", ", Suites)}");
                    }

                    break;
                case "--out" when i + 1 < args.Length:
                    outFile = args[++i];
                    break;
                default:
                    throw new ArgumentException(
                        $"unknown argument {args[i]}; use --all (the default), --quick, --smoke, --only {string.Join(',', Suites)}, --out FILE");
            }
        }

        if (smoke && outFile is null)
        {
            throw new ArgumentException("--smoke needs --out FILE: a smoke run must not overwrite docs/benchmarks.md");
        }

        return new BenchOptions(quick, smoke, only, outFile);
    }
}
