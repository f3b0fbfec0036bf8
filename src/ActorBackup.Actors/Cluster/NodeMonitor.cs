using ActorBackup.Protocol;
using Akka.Actor;
using Akka.Cluster;
using Akka.Event;

namespace ActorBackup.Actors.Cluster;

/// <summary>
/// What admins watch in a node's log: every membership change as it happens, and every
/// stats-interval one line: members by role and status, files and bytes hashed per second
/// on this node, batches in flight and queued (on the coordinator's node), new content
/// stored (on the storage node). Text for people, or one JSON object per line.
/// It keeps this node's figures: its actors report what they did (<see cref="Report"/>),
/// and the stats line, the node_exporter textfile and the coordinator's summary read the
/// totals here (<see cref="GetTotals"/>), never off another actor's thread.
/// </summary>
public sealed class NodeMonitor : ReceiveActor, IWithTimers
{
    private sealed record Tick;

    private readonly TextWriter _log;
    private readonly bool _json;
    private readonly TimeSpan _interval;
    private readonly Akka.Cluster.Cluster _cluster = Akka.Cluster.Cluster.Get(Context.System);
    private long _lastFiles, _lastBytes;
    private Totals _totals;
    private readonly Action<Totals>? _stopped;
    private WorkBroker.WorkStats? _work;

    public ITimerScheduler Timers { get; set; } = null!;

    private readonly string _textfiles;

    /// <summary>This node's name (actorbackup.cluster.node-name, made effective at start), for every line.</summary>
    private readonly string _name;

    public NodeMonitor(TextWriter log, bool json, TimeSpan interval, string textfiles = "", Totals? from = null, Action<Totals>? stopped = null)
    {
        _totals = from ?? Totals.Zero;
        _stopped = stopped;
        _textfiles = textfiles;
        _name = Context.System.Settings.Config.GetString("actorbackup.cluster.node-name", _cluster.SelfAddress.ToString());
        _log = log;
        _json = json;
        _interval = interval;
        Receive<ClusterEvent.IMemberEvent>(e =>
        {
            if (e is ClusterEvent.MemberLeft or ClusterEvent.MemberExited)
                Context.System.EventStream.Publish(new NodeLog.Left(e.Member.Address.ToString()));
            Write("member-" + e.GetType().Name.Replace("Member", "").ToLowerInvariant(), Describe(e.Member, status: true));
        });
        Receive<ClusterEvent.UnreachableMember>(e => Write("member-unreachable", Describe(e.Member, status: false)));
        Receive<ClusterEvent.ReachableMember>(e => Write("member-reachable", Describe(e.Member, status: false)));
        Receive<WorkBroker.WorkStats>(w => _work = w);
        Receive<Event>(e => Write(e.What, e.Fields));
        Receive<Hashed>(h => _totals = _totals with { FilesHashed = _totals.FilesHashed + h.Files, BytesHashed = _totals.BytesHashed + h.Bytes });
        Receive<Listed>(l => _totals = _totals with { FoldersListed = _totals.FoldersListed + l.Folders });
        Receive<Stored>(s => _totals = _totals with { StoredEntries = _totals.StoredEntries + s.Entries, StoredBytes = _totals.StoredBytes + s.Bytes });
        Receive<ContentSent>(c => _totals = _totals with { FilesSent = _totals.FilesSent + c.Files, BytesSent = _totals.BytesSent + c.Bytes });
        Receive<GetTotals>(_ => Sender.Tell(_totals));
        Receive<Tick>(_ => Stats());
    }

    /// <summary>A line another actor of this node has for the log (a storage session opening or closing).</summary>
    public sealed record Event(string What, Dictionary<string, object> Fields);

    /// <summary>Sends <paramref name="what"/> to this node's monitor, which writes it (nowhere when the node has none).</summary>
    public static void Log(IActorContext context, string what, Dictionary<string, object> fields) =>
        context.ActorSelection(ActorNames.MonitorPath).Tell(new Event(what, fields));

    /// <summary>What an actor of this node did, for the node's totals. Where no monitor runs (a single-process backup, a spec) it goes nowhere, unlogged.</summary>
    public interface IFigures : IDeadLetterSuppression;

    /// <summary>Hash worker or hasher to its node's monitor: it hashed a batch of <paramref name="Files"/> files, <paramref name="Bytes"/> bytes read.</summary>
    public sealed record Hashed(long Files, long Bytes) : IFigures;

    /// <summary>Hash worker to its node's monitor: it listed <paramref name="Folders"/> folders of a cluster run's source (walk-on-hashers).</summary>
    public sealed record Listed(long Folders) : IFigures;

    /// <summary>Data-store to its node's monitor: it named <paramref name="Entries"/> new store entries of <paramref name="Bytes"/> bytes since it last said.</summary>
    public sealed record Stored(long Entries, long Bytes) : IFigures;

    /// <summary>Content sender's transfer to its node's monitor: it streamed <paramref name="Bytes"/> more bytes to the storage node, and ended <paramref name="Files"/> files.</summary>
    public sealed record ContentSent(long Files, long Bytes) : IFigures;

    /// <summary>Anyone to the monitor: this node's figures since it started? Answered with <see cref="Totals"/>.</summary>
    public sealed record GetTotals;

    /// <summary>The monitor's answer to <see cref="GetTotals"/>: the sums of every <see cref="IFigures"/> it was told.</summary>
    public sealed record Totals(long FilesHashed, long BytesHashed, long StoredEntries, long StoredBytes, long FilesSent, long BytesSent, long FoldersListed = 0)
    {
        public static readonly Totals Zero = new(0, 0, 0, 0, 0, 0);
    }

    /// <summary>Tells this node's monitor what the actor of <paramref name="context"/> did.</summary>
    public static void Report(IActorContext context, IFigures figures) =>
        context.ActorSelection(ActorNames.MonitorPath).Tell(figures);

    /// <param name="textfiles">actorbackup.metrics.textfile-directory: where each stats line also goes as a node_exporter textfile ("" off).</param>
    /// <param name="from">The totals to go on from: those the node's previous actor system ended with (a node that rejoins keeps its figures).</param>
    /// <param name="stopped">Given the totals when the monitor stops, so the next actor system's monitor can go on from them.</param>
    public static Props Props(TextWriter log, bool json, TimeSpan interval, string textfiles = "", Totals? from = null, Action<Totals>? stopped = null) =>
        Akka.Actor.Props.Create(() => new NodeMonitor(log, json, interval, textfiles, from, stopped));

    protected override void PreStart()
    {
        _cluster.Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents,
            typeof(ClusterEvent.IMemberEvent), typeof(ClusterEvent.UnreachableMember), typeof(ClusterEvent.ReachableMember));
        if (_interval > TimeSpan.Zero)
            Timers.StartPeriodicTimer("stats", new Tick(), _interval);
    }

    protected override void PostStop()
    {
        _cluster.Unsubscribe(Self);
        _stopped?.Invoke(_totals);
    }

    private void Stats()
    {
        Context.ActorSelection(ActorNames.BrokerPath).Tell(new WorkBroker.GetWorkStats());
        var files = _totals.FilesHashed;
        var bytes = _totals.BytesHashed;
        var seconds = _interval.TotalSeconds;
        var members = _cluster.State.Members
            .SelectMany(m => NodeNames.Duties(m).DefaultIfEmpty("none").Select(r => $"{r}:{m.Status}"))
            .GroupBy(x => x).Select(g => $"{g.Key}={g.Count()}");
        var fields = new Dictionary<string, object>
        {
            ["members"] = string.Join(" ", members),
            ["unreachable"] = _cluster.State.Unreachable.Count,
            ["files_per_s"] = Math.Round((files - _lastFiles) / seconds, 1),
            ["mb_per_s"] = Math.Round((bytes - _lastBytes) / seconds / 1e6, 2),
            ["files_hashed"] = files,
            ["folders_listed"] = _totals.FoldersListed,
            ["stored_entries"] = _totals.StoredEntries,
            ["stored_bytes"] = _totals.StoredBytes,
        };
        if (_work is not null)
        {
            fields["batches_in_flight"] = _work.InFlight;
            fields["queue"] = _work.Queued;
            fields["workers"] = _work.Workers;
            var known = _cluster.State.Members.ToList();
            fields["files_by_node"] = string.Join(" ", _work.FilesByNode.Select(kv => $"{NodeNames.Display(known, kv.Key).Replace(" ", "")}={kv.Value}"));
        }
        if (_textfiles.Length > 0)
            WriteTextfile(fields);
        _work = null; // a run's figures are shown while its broker answers, never after it
        _lastFiles = files;
        _lastBytes = bytes;
        Write("stats", fields);
    }

    /// <summary>
    /// The stats line's numbers as actorbackup_node_* gauges for node_exporter's textfile
    /// collector, labelled with this node's name and roles; written whole (temp file, rename).
    /// A folder that cannot be written is said once a tick in the log, the node goes on.
    /// </summary>
    private void WriteTextfile(Dictionary<string, object> fields)
    {
        var name = _name;
        var roles = string.Join(",", NodeNames.Duties(_cluster.SelfMember));
        var labels = $"{{node=\"{name}\",roles=\"{roles}\"}}";
        var text = new System.Text.StringBuilder();
        foreach (var (key, value) in fields)
        {
            if (value is not (int or long or double))
                continue;
            var metric = "actorbackup_node_" + key;
            text.Append($"# HELP {metric} The stats line's {key} on this node.\n# TYPE {metric} gauge\n");
            text.Append(System.FormattableString.Invariant($"{metric}{labels} {Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture)}\n"));
        }
        var path = Path.Combine(_textfiles, $"actorbackup_node_{name}.prom");
        try
        {
            File.WriteAllText(path + ".tmp", text.ToString());
            File.Move(path + ".tmp", path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Write("metrics-unwritable", new() { ["path"] = path, ["cause"] = e.Message });
        }
    }

    private void Write(string what, Dictionary<string, object> fields) =>
        LogLine.Write(_log, LogLine.Format(_json, _name, what, fields));

    /// <summary>A member as its lines show it: address, name, what it does, and (for membership changes) its status.</summary>
    private static Dictionary<string, object> Describe(Member member, bool status)
    {
        var fields = new Dictionary<string, object>
        {
            ["address"] = member.Address.ToString(),
            ["name"] = NodeNames.Of(member) ?? "",
            ["roles"] = string.Join(",", NodeNames.Duties(member)),
        };
        if (status)
            fields["status"] = member.Status.ToString();
        return fields;
    }
}
