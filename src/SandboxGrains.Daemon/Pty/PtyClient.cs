using System.Threading.Channels;

namespace SandboxGrains.Daemon.Pty;

/// <summary>Why a terminal's WebSocket stops receiving output.</summary>
internal enum PtyClientEnd
{
    /// <summary>The program in the terminal exited (or was killed).</summary>
    Exited,

    /// <summary>The client closed its WebSocket.</summary>
    ClientClosed,

    /// <summary>The client read too slowly: its queue filled, and a terminal never waits for one reader.</summary>
    TooSlow,
}

/// <summary>One WebSocket attached to a terminal: the output queued for it, and why that queue ended.</summary>
internal sealed class PtyClient(bool wantsExitControl)
{
    /// <summary>Chunks of output a client may fall behind by before it is dropped.</summary>
    private const int QueueLength = 1024;

    /// <summary>Whether the client offered <c>X-Daytona-Pty-Exit-Control</c>, and so gets an <c>exited</c> control message.</summary>
    public bool WantsExitControl { get; } = wantsExitControl;

    public Channel<byte[]> Output { get; } = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(QueueLength) { SingleReader = true });

    public PtyClientEnd End { get; private set; }

    /// <summary>Ends the output queue (the first reason given sticks); what is queued is still sent.</summary>
    public void Finish(PtyClientEnd end)
    {
        lock (Output)
        {
            if (Output.Writer.TryComplete())
            {
                End = end;
            }
        }
    }
}
