using Akka.Actor;
using Akka.Dispatch;
using Akka.Event;

namespace ActorBackup.Actors.Cluster;

/// <summary>
/// Akka's own log events (warnings and errors of remoting and the cluster) on a cluster node,
/// one line each in the node's log format, cause on the same line, no stack traces. A message
/// repeated (same level, source and text) is written once per <see cref="Window"/>, and the
/// next line says how many were left out, so a slip such as a wrong seed scheme can never
/// flood the disk: Akka's default logger wrote 700 MB of the same stack trace in 26 s.
/// Configured by akka.loggers in hocon/cluster.conf; writes to standard output.
/// </summary>
public sealed partial class NodeLog : ReceiveActor, IWithTimers, IRequiresMessageQueue<ILoggerMessageQueueSemantics>
{
    /// <summary>How long one message is held back after it was written.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromSeconds(60);

    /// <summary>Distinct messages remembered; beyond this the oldest are forgotten.</summary>
    private const int MaxKeys = 1000;

    private sealed record Repeats(DateTime WrittenAt, int Left);

    private sealed record Flush;

    /// <summary>
    /// Published on the event stream (by the node's monitor) when a member leaves gracefully:
    /// the connection to it then closes, and Akka's warnings about that are expected news.
    /// </summary>
    public sealed record Left(string Address);

    /// <summary>How long after a member left its connection's warnings are written as info.</summary>
    private static readonly TimeSpan LeftGrace = TimeSpan.FromMinutes(2);

    private readonly Dictionary<string, DateTime> _left = [];

    private readonly Dictionary<string, Repeats> _seen = [];
    private readonly TextWriter _log = Console.Out;
    private readonly bool _json;
    private string? _node;

    /// <summary>This node's address; remoting is not up yet when loggers start.</summary>
    private string Node
    {
        get
        {
            if (_node is not null)
                return _node;
            if (Context.System.Settings.Config.GetString("actorbackup.cluster.node-name", "") is { Length: > 0 } name)
                return _node = name;
            try
            {
                return _node = ((ExtendedActorSystem)Context.System).Provider.DefaultAddress.ToString();
            }
            catch (NullReferenceException)
            {
                return ""; // Akka's remoting has not started yet (its provider throws until then)
            }
        }
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public NodeLog()
    {
        _json = Context.System.Settings.Config.GetString("actorbackup.cluster.log-format", "text") == "json";
        Receive<InitializeLogger>(_ =>
        {
            Timers.StartPeriodicTimer("flush", new Flush(), Window);
            Sender.Tell(new LoggerInitialized());
        });
        Receive<LogEvent>(Log);
        Receive<Left>(l => _left[l.Address] = DateTime.UtcNow);
        Receive<Flush>(_ => FlushRepeats(DateTime.UtcNow));
    }

    private void Log(LogEvent e)
    {
        var message = FirstLine(e.Message?.ToString() ?? "");
        // What changes on every retry of one problem: counts in brackets ("after [7] attempts"),
        // the numbered endpoint actors of each attempt ("...-3/endpointWriter"), and a rejected
        // connection's client port and channel id ("[::ffff:10.0.0.7]:37294", "Id=528ba250").
        var key = $"{e.LogLevel()}|{Attempts().Replace(e.LogSource ?? "", "-#")}|{Channel().Replace(Counts().Replace(message, "[#]"), "$1#")}";
        var now = DateTime.UtcNow;
        if (_seen.TryGetValue(key, out var repeats) && now - repeats.WrittenAt < Window)
        {
            _seen[key] = repeats with { Left = repeats.Left + 1 };
            return;
        }
        if (_seen.Count >= MaxKeys)
            FlushRepeats(DateTime.MaxValue);
        _seen[key] = new Repeats(now, 0);
        var fields = new List<KeyValuePair<string, object>> { new("source", e.LogSource ?? ""), new("message", message) };
        if (e.Cause is { } cause)
            fields.Add(new("cause", $"{cause.GetType().Name}: {FirstLine(cause.Message)}"));
        if (repeats is { Left: > 0 })
            fields.Add(new("repeated", repeats.Left));
        LogLine.Write(_log, LogLine.Format(_json, Node, AfterLeaving(e, message) ? "akka-info" : Event(e), fields));
    }

    /// <summary>
    /// Whether a warning (or Akka's "Disassociated" error) is about the closed connection of a
    /// member that left gracefully.
    /// </summary>
    private bool AfterLeaving(LogEvent e, string message)
    {
        // Akka's exception type is internal: known by name.
        if (e is not Warning && !(e is Error && e.Cause?.GetType().Name == "EndpointDisassociatedException"))
            return false;
        foreach (var (address, at) in _left.ToList())
        {
            if (DateTime.UtcNow - at > LeftGrace)
                _left.Remove(address);
            else if (message.Contains(address, StringComparison.Ordinal) || (e.LogSource ?? "").Contains(Uri.EscapeDataString(address), StringComparison.Ordinal))
                return true;
        }
        return false;
    }

    /// <summary>Writes a count line for every message held back and now out of its window; forgets those.</summary>
    protected override void PreStart() => Context.System.EventStream.Subscribe(Self, typeof(Left));

    private void FlushRepeats(DateTime now)
    {
        foreach (var (key, repeats) in _seen.Where(kv => now - kv.Value.WrittenAt >= Window).ToList())
        {
            _seen.Remove(key);
            if (repeats.Left == 0)
                continue;
            var parts = key.Split('|', 3); // source and message as keyed: attempt numbers and counts read #
            LogLine.Write(_log, LogLine.Format(_json, Node, "akka-repeated", [
                new("level", parts[0].ToLowerInvariant().Replace("level", "")), new("source", parts[1]), new("message", parts[2]),
                new("repeated", repeats.Left), new("seconds", (int)Window.TotalSeconds)]));
        }
    }

    private static string Event(LogEvent e) => e switch
    {
        Error => "akka-error",
        Warning => "akka-warning",
        Info => "akka-info",
        _ => "akka-debug",
    };

    [System.Text.RegularExpressions.GeneratedRegex(@"\[\d+\]")]
    private static partial System.Text.RegularExpressions.Regex Counts();

    [System.Text.RegularExpressions.GeneratedRegex(@"(\]:|Id=)[0-9a-f]+")]
    private static partial System.Text.RegularExpressions.Regex Channel();

    [System.Text.RegularExpressions.GeneratedRegex(@"-\d+(?=/|$)")]
    private static partial System.Text.RegularExpressions.Regex Attempts();

    private static string FirstLine(string text)
    {
        var line = text.Split('\n')[0].Trim();
        return line.Length > 500 ? line[..500] + "..." : line;
    }
}
