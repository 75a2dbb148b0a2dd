namespace SandboxGrains.Daemon.Http;

/// <summary>
/// The daemon's only log sink: one line per warning or error on standard error, which the container's log keeps.
/// The console logger the web host's builders bring (formatters, options, a background queue) is most of a megabyte of
/// the bundle for the handful of lines the daemon ever writes.
/// </summary>
internal sealed class StandardErrorLogger(string category) : ILogger
{
    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(logLevel))
        {
            return;
        }

        var line = $"sandboxd: {logLevel.ToString().ToLowerInvariant()}: {category}: {formatter(state, exception)}";
        Console.Error.WriteLine(exception is null ? line : $"{line}{Environment.NewLine}{exception}");
    }

    public sealed class Provider : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new StandardErrorLogger(categoryName);

        public void Dispose()
        {
        }
    }
}
