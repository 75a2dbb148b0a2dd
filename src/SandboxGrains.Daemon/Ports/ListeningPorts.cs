using System.Globalization;

namespace SandboxGrains.Daemon.Ports;

/// <summary>TCP ports something listens on inside the sandbox, read from /proc/net/tcp and tcp6 (state 0A = LISTEN).</summary>
internal static class ListeningPorts
{
    public static List<int> Read()
    {
        var ports = new SortedSet<int>();
        foreach (var table in new[] { "/proc/net/tcp", "/proc/net/tcp6" })
        {
            if (!File.Exists(table))
            {
                continue;
            }

            foreach (var line in File.ReadLines(table).Skip(1))
            {
                var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length > 3 && fields[3] == "0A")
                {
                    var local = fields[1];
                    var port = int.Parse(local[(local.LastIndexOf(':') + 1)..], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                    ports.Add(port);
                }
            }
        }

        return [.. ports];
    }
}
