using ActorBackup.Actors.Cluster;
using ActorBackup.Actors.Tests.Support;
using ActorBackup.Core;
using ActorBackup.Posix;
using ActorBackup.Protocol;
using ActorBackup.Store;
using Akka.Actor;
using Akka.Configuration;
using Akka.Event;
using Xunit.Abstractions;
using static ActorBackup.Protocol.HasherProtocol;
using HasherActor = ActorBackup.Actors.Hasher.Hasher;

namespace ActorBackup.Actors.Tests;

/// <summary>
/// A node's monitor keeps the node's figures: the node's actors report what they did, and
/// whoever shows the figures (the stats line, the coordinator's summary) asks the monitor.
/// The monitor follows the cluster, so this spec's system has the cluster provider, on a
/// port of its own on 127.0.0.1 (it never joins a cluster).
/// </summary>
public sealed class NodeMonitorSpec(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(Config(), "monitor-spec", output)
{
    private readonly TempDir _temp = new();

    private static Config Config() =>
        ConfigurationFactory.ParseString("""
            akka.actor.provider = cluster
            akka.remote.dot-netty.tcp.hostname = 127.0.0.1
            akka.remote.dot-netty.tcp.port = 0
            """).WithFallback(ActorSpec.SpecConfig());

    /// <summary>The node's monitor, where the node's actors find it; no stats line unless given an interval.</summary>
    private IActorRef Monitor(TextWriter? log = null, TimeSpan? interval = null) =>
        Sys.ActorOf(NodeMonitor.Props(log ?? TextWriter.Null, json: false, interval ?? TimeSpan.Zero), ActorNames.Monitor);

    /// <summary>An actor of the node that reports each figure it is told to, as hash workers, data-stores and content senders do.</summary>
    private sealed class Reporting : ReceiveActor
    {
        public Reporting() => Receive<NodeMonitor.IFigures>(f => NodeMonitor.Report(Context, f));
    }

    private IActorRef ReportingActor() => Sys.ActorOf(Props.Create(() => new Reporting()));

    private NodeMonitor.Totals Totals(IActorRef monitor) =>
        monitor.Ask<NodeMonitor.Totals>(new NodeMonitor.GetTotals(), TimeSpan.FromSeconds(5)).GetAwaiter().GetResult();

    [Fact]
    public void The_monitor_totals_what_the_nodes_actors_report_and_answers_with_the_totals()
    {
        var monitor = Monitor();
        var hashWorker = ReportingActor();
        var dataStore = ReportingActor();
        var content = ReportingActor();
        Assert.Equal(NodeMonitor.Totals.Zero, Totals(monitor));

        hashWorker.Tell(new NodeMonitor.Hashed(200, 1_000_000));
        hashWorker.Tell(new NodeMonitor.Hashed(50, 4_096));
        dataStore.Tell(new NodeMonitor.Stored(30, 70_000));
        dataStore.Tell(new NodeMonitor.Stored(1, 5));
        content.Tell(new NodeMonitor.ContentSent(0, 65_536));
        content.Tell(new NodeMonitor.ContentSent(1, 100));

        AwaitAssert(() => Assert.Equal(new NodeMonitor.Totals(250, 1_004_096, 31, 70_005, 1, 65_636), Totals(monitor)));
    }

    [Fact]
    public void A_hasher_reports_each_batch_to_its_nodes_monitor()
    {
        var monitor = Monitor();
        var root = _temp.CreateFolder("root");
        File.WriteAllText(Path.Combine(root, "a"), "abc");
        File.WriteAllText(Path.Combine(root, "b"), "hello, world");
        var options = new RunOptions(root, _temp["backups/week10"], new StoreLayout(_temp["data"], 2, HashKind.Sha1), SharePolicy.Owner);
        var settings = BackupSettings.From(Sys.Settings.Config);
        var hasher = Sys.ActorOf(Props.Create(() => new HasherActor(options, settings)).WithDispatcher(Dispatchers.Hash));
        var files = new[] { "a", "b" }.Select(name => new SourceEntry(name, Files.Lstat(Path.Combine(root, name)))).ToList();

        hasher.Tell(new HashFiles(1, files), TestActor);
        ExpectMsg<FilesHashed>();

        AwaitAssert(() => Assert.Equal(NodeMonitor.Totals.Zero with { FilesHashed = 2, BytesHashed = 15 }, Totals(monitor)));
    }

    [Fact]
    public void The_stats_line_shows_the_reported_totals()
    {
        var log = new LinesWriter();
        Monitor(log, TimeSpan.FromMilliseconds(200));
        var reporting = ReportingActor();

        reporting.Tell(new NodeMonitor.Hashed(12, 3_000));
        reporting.Tell(new NodeMonitor.Stored(7, 2_500));
        reporting.Tell(new NodeMonitor.Listed(1));
        reporting.Tell(new NodeMonitor.Listed(1));

        AwaitAssert(() =>
            Assert.Contains(log.Lines, l => l.Contains(" stats ", StringComparison.Ordinal)
                && l.Contains(" files_hashed=12 ", StringComparison.Ordinal) && l.Contains(" folders_listed=2 ", StringComparison.Ordinal)
                && l.Contains(" stored_entries=7 ", StringComparison.Ordinal) && l.Contains(" stored_bytes=2500", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(10));
    }

    [Fact]
    public void A_new_monitor_goes_on_from_the_totals_the_last_one_stopped_with()
    {
        NodeMonitor.Totals? stopped = null;
        var first = Sys.ActorOf(NodeMonitor.Props(TextWriter.Null, json: false, TimeSpan.Zero, stopped: t => stopped = t), ActorNames.Monitor);
        ReportingActor().Tell(new NodeMonitor.Hashed(5, 500));
        AwaitAssert(() => Assert.Equal(5, Totals(first).FilesHashed));
        Watch(first);
        Sys.Stop(first);
        ExpectTerminated(first);
        Assert.NotNull(stopped);

        // The name is free once the guardian has seen the first one end, which may come after our Terminated.
        IActorRef second = ActorRefs.Nobody;
        AwaitAssert(() => second = Sys.ActorOf(NodeMonitor.Props(TextWriter.Null, json: false, TimeSpan.Zero, from: stopped), ActorNames.Monitor));
        ReportingActor().Tell(new NodeMonitor.Hashed(1, 10));

        AwaitAssert(() => Assert.Equal(NodeMonitor.Totals.Zero with { FilesHashed = 6, BytesHashed = 510 }, Totals(second)));
    }

    [Fact]
    public void Where_no_monitor_runs_reported_figures_go_nowhere_without_a_dead_letter()
    {
        Sys.EventStream.Subscribe(TestActor, typeof(DeadLetter));
        var reporting = ReportingActor();

        reporting.Tell(new NodeMonitor.Hashed(3, 30));
        reporting.Tell(new NodeMonitor.Stored(1, 10));
        ExpectNoMsg(TimeSpan.FromMilliseconds(500));

        // The probe would have seen one: a message that is not a figure, to the same missing monitor.
        Sys.ActorSelection(ActorNames.MonitorPath).Tell("not a figure");
        Assert.Equal("not a figure", ExpectMsg<DeadLetter>().Message);
    }

    /// <summary>A log whose lines can be read while the monitor writes more.</summary>
    private sealed class LinesWriter : TextWriter
    {
        private readonly System.Collections.Concurrent.ConcurrentQueue<string> _lines = new();

        public IReadOnlyCollection<string> Lines => _lines.ToArray();

        public override System.Text.Encoding Encoding => System.Text.Encoding.UTF8;

        public override void WriteLine(string? value) => _lines.Enqueue(value ?? "");
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
            _temp.Dispose();
    }
}
