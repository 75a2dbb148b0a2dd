namespace SandboxGrains.Daemon.Native;

/// <summary>One process as <c>/proc/{pid}/stat</c> describes it: its state letter, parent and session.</summary>
internal readonly record struct ProcessEntry(int Pid, char State, int Parent, int Session);

/// <summary>The processes of this PID namespace, read from /proc.</summary>
internal static class ProcessTable
{
    public static IEnumerable<ProcessEntry> Read()
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid))
            {
                continue;
            }

            string stat;
            try
            {
                stat = File.ReadAllText(Path.Combine(dir, "stat"));
            }
            catch (IOException)
            {
                continue;
            }

            // Format: pid (comm) state ppid pgrp session ...; comm may contain spaces and parentheses, so parse after the last ')'.
            var rest = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            if (rest.Length > 3 && int.TryParse(rest[1], out var parent) && int.TryParse(rest[3], out var session))
            {
                yield return new ProcessEntry(pid, rest[0][0], parent, session);
            }
        }
    }
}
