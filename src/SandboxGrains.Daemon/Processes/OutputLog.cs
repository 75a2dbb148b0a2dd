using System.Text;

namespace SandboxGrains.Daemon.Processes;

/// <summary>
/// A command's output as it arrives, stdout and stderr kept apart but in arrival order, so it can be read whole
/// (JSON logs) or followed live (the WebSocket). Bounded: past the cap the oldest output is dropped.
/// </summary>
internal sealed class OutputLog
{
    /// <summary>Most output kept per command; a chatty process must not grow the daemon without bound.</summary>
    public const int MaxBytes = 16 * 1024 * 1024;

    private readonly Lock _gate = new();
    private readonly List<OutputChunk> _chunks = [];
    private long _bytes;
    private long _dropped;
    private TaskCompletionSource _changed = NewSignal();
    private bool _completed;

    public bool Completed
    {
        get { lock (_gate) { return _completed; } }
    }

    public void Append(bool isStderr, ReadOnlySpan<byte> data)
    {
        TaskCompletionSource changed;
        lock (_gate)
        {
            _chunks.Add(new OutputChunk(isStderr, data.ToArray()));
            _bytes += data.Length;
            while (_bytes > MaxBytes && _chunks.Count > 1)
            {
                _bytes -= _chunks[0].Data.Length;
                _chunks.RemoveAt(0);
                _dropped++;
            }

            changed = _changed;
            _changed = NewSignal();
        }

        changed.TrySetResult();
    }

    /// <summary>Marks the end: no more output will come.</summary>
    public void Complete()
    {
        TaskCompletionSource changed;
        lock (_gate)
        {
            _completed = true;
            changed = _changed;
        }

        changed.TrySetResult();
    }

    /// <summary>Chunks from absolute position <paramref name="from"/> on, the next position, whether the log is complete,
    /// and a task that finishes when anything changes.</summary>
    public (List<OutputChunk> Chunks, long Next, bool Completed, Task Changed) Read(long from)
    {
        lock (_gate)
        {
            var start = (int)Math.Max(0, from - _dropped);
            var chunks = start < _chunks.Count ? _chunks.GetRange(start, _chunks.Count - start) : [];
            return (chunks, _dropped + _chunks.Count, _completed, _changed.Task);
        }
    }

    public (string Output, string Stdout, string Stderr) Text()
    {
        lock (_gate)
        {
            var all = new MemoryStream();
            var stdout = new MemoryStream();
            var stderr = new MemoryStream();
            foreach (var chunk in _chunks)
            {
                all.Write(chunk.Data);
                (chunk.IsStderr ? stderr : stdout).Write(chunk.Data);
            }

            return (Decode(all), Decode(stdout), Decode(stderr));
        }
    }

    private static string Decode(MemoryStream stream) => Encoding.UTF8.GetString(stream.GetBuffer(), 0, (int)stream.Length);

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}

internal sealed record OutputChunk(bool IsStderr, byte[] Data);
