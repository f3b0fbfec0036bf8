using ActorBackup.Actors.Cluster;
using ActorBackup.Actors.Tests.Support;
using ActorBackup.Actors.Walker;
using ActorBackup.Core;
using ActorBackup.Posix;
using ActorBackup.Protocol;
using ActorBackup.Store;
using Akka.Actor;
using Akka.TestKit;
using static ActorBackup.Protocol.ClusterProtocol;
using static ActorBackup.Protocol.WalkerProtocol;
using WalkerActor = ActorBackup.Actors.Walker.Walker;

namespace ActorBackup.Actors.Tests;

/// <summary>
/// Walks in a cluster run: the broker hands folders to workers on any node (walk-on-hashers),
/// and the coordinator receives the same listing its own walker would have made.
/// </summary>
public sealed partial class WorkBrokerSpec
{
    private const string OtherHasherNode = "10.0.0.3:2552";

    private IActorRef WalkBroker(RunOptions options) =>
        Sys.ActorOf(WorkBroker.Props(options, TimeSpan.FromMinutes(2), [], TimeSpan.Zero, LocalNode));

    /// <summary>What a hasher node answers: the folder listed without the previous snapshot, in parts as it sends them.</summary>
    private void Answer(IActorRef broker, TestProbe worker, WalkWork work, string node)
    {
        var listed = DirectoryLister.List(new SourceRoot(Root), work.Walk, new HashSet<string>(), before: null, previousHasXattrs: false);
        var parts = WalkParts.Split(listed);
        for (var i = 0; i < parts.Count; i++)
            broker.Tell(new WalkDone(node, work.WalkId, i, parts.Count, parts[i]), worker.Ref);
    }

    private DirectoryWalked LocalWalk(string relative, RunOptions options)
    {
        var walker = Sys.ActorOf(WalkerActor.Props(options));
        walker.Tell(new WalkDirectory(relative, Files.Lstat(Source(relative))), TestActor);
        return ExpectMsg<DirectoryWalked>();
    }

    private static WalkDirectory WalkOf(string path) => new("", Files.Lstat(path));

    [Fact]
    public void A_folder_listed_on_a_hasher_node_reaches_the_coordinator_as_its_own_walker_lists_it()
    {
        SourceFile("same", "unchanged since last week");
        SourceFile("same-other-entry", "unchanged, linked to HASH.3 last time");
        SourceFile("grown", "will grow");
        Directory.CreateDirectory(Source("cache"));
        Directory.CreateDirectory(Source("kept"));
        // Names long enough that the listing crosses the frame limit's budget in several parts.
        for (var i = 0; i < 400; i++)
            SourceFile($"{new string('n', 180)}-{i:D4}", $"file {i}");
        var previous = PreviousManifest([Recorded("same"), Recorded("same-other-entry", suffix: 3), Recorded("grown")]);
        File.AppendAllText(Source("grown"), " and grew");
        var options = Options() with { PreviousManifest = previous, Excluded = new HashSet<string>(StringComparer.Ordinal) { "cache" } };
        var broker = WalkBroker(options);
        var remote = Worker(broker, HasherNode);
        var local = Worker(broker, LocalNode);

        broker.Tell(WalkOf(Root), TestActor);
        var work = remote.ExpectMsg<WalkWork>();
        local.ExpectNoMsg(TimeSpan.FromMilliseconds(200)); // the hasher node's worker was free: the coordinator's node does not walk
        Assert.True(WalkParts.Split(DirectoryLister.List(new SourceRoot(Root), work.Walk, new HashSet<string>(), null, false)).Count > 2);
        Answer(broker, remote, work, HasherNode);
        var walked = ExpectMsg<DirectoryWalked>();

        var expected = LocalWalk("", options);
        Assert.Equal(expected.Entries.Count, walked.Entries.Count);
        Assert.Equal(404, walked.Entries.Count); // 403 files and "kept"; "cache" is excluded
        Assert.Empty(DeepEquality.Differences(expected, walked));
        var known = walked.Entries.ToDictionary(e => e.Path, e => e.Known, StringComparer.Ordinal);
        Assert.Equal(new KnownContent(Sha1Hex("unchanged since last week"), 0, SameOwnership: true), known["same"]);
        Assert.Equal(3, known["same-other-entry"]!.Suffix);
        Assert.Null(known["grown"]);
        broker.Tell(new WorkBroker.GetWorkStats());
        Assert.Equal(new Dictionary<string, long> { [HasherNode] = 1 }, ExpectMsg<WorkBroker.WorkStats>().DirectoriesByNode);
    }

    [Fact]
    public void Walks_wait_like_batches_until_the_hasher_nodes_up_at_the_start_have_registered()
    {
        SourceFile("a", "a");
        var broker = Sys.ActorOf(WorkBroker.Props(Options(), TimeSpan.FromMinutes(2), [HasherNode], TimeSpan.FromMinutes(1), LocalNode));
        var local = Worker(broker, LocalNode);
        broker.Tell(WalkOf(Root), TestActor);

        local.ExpectNoMsg(TimeSpan.FromMilliseconds(500)); // not all walked here before the hasher node asked for work

        var remote = Worker(broker, HasherNode);
        Assert.Equal("", remote.ExpectMsg<WalkWork>().Walk.Path);
    }

    [Fact]
    public void A_walk_held_by_a_worker_that_is_gone_is_listed_by_another_and_reaches_the_coordinator_once()
    {
        SourceFile("a/x", "x");
        SourceFile("b/y", "y");
        var broker = WalkBroker(Options());
        var lost = Worker(broker, HasherNode);
        var kept = Worker(broker, OtherHasherNode);
        broker.Tell(new WalkDirectory("a", Files.Lstat(Source("a"))), TestActor);
        broker.Tell(new WalkDirectory("b", Files.Lstat(Source("b"))), TestActor);
        var work = lost.ExpectMsg<WalkWork>();
        var other = kept.ExpectMsg<WalkWork>();

        Sys.Stop(lost.Ref);
        var late = Worker(broker, HasherNode);
        var again = late.ExpectMsg<WalkWork>(TimeSpan.FromSeconds(5));
        Assert.Equal((work.WalkId, work.Walk), (again.WalkId, again.Walk));
        late.ExpectNoMsg(TimeSpan.FromMilliseconds(300)); // the walk the other worker holds is not handed out again
        Answer(broker, lost, work, HasherNode); // late parts of the lost worker: dropped
        Answer(broker, kept, other, OtherHasherNode);
        Answer(broker, late, again, HasherNode);

        var walked = new[] { ExpectMsg<DirectoryWalked>(), ExpectMsg<DirectoryWalked>() };
        Assert.Equal(["a/x", "b/y"], walked.SelectMany(w => w.Entries).Select(e => e.Path).Order(StringComparer.Ordinal));
        ExpectNoMsg(TimeSpan.FromMilliseconds(300));
    }

    [Fact]
    public void A_folder_a_hasher_node_could_not_list_is_listed_again_on_the_coordinators_node()
    {
        SourceFile("a", "a");
        var broker = WalkBroker(Options());
        var remote = Worker(broker, HasherNode);
        var local = Worker(broker, LocalNode);
        broker.Tell(WalkOf(Root), TestActor);
        var work = remote.ExpectMsg<WalkWork>();

        broker.Tell(new WalkDone(HasherNode, work.WalkId, 0, 1, new DirectoryWalked("", [], [new FileProblem("", "cannot list directory: Permission denied (EACCES); it is in the snapshot empty")])), remote.Ref);
        var again = local.ExpectMsg<WalkWork>();
        Answer(broker, local, again, LocalNode);

        var walked = ExpectMsg<DirectoryWalked>();
        Assert.Empty(walked.Problems);
        Assert.Equal(["a"], walked.Entries.Select(e => e.Path));
        broker.Tell(new WorkBroker.GetWorkStats());
        Assert.Equal(new Dictionary<string, long> { [LocalNode] = 1 }, ExpectMsg<WorkBroker.WorkStats>().DirectoriesByNode);
    }

    [Theory]
    [InlineData("another inode")]
    [InlineData("another device")]
    public void A_listing_whose_folder_is_another_here_is_made_again_on_the_coordinators_node(string differs)
    {
        // A mount in the hasher node's view only (a tmpfs over "sub"): its listing of the root
        // shows another folder than this node sees, whose metadata must not reach the snapshot.
        SourceFile("sub/x", "x");
        var broker = WalkBroker(Options());
        var remote = Worker(broker, HasherNode);
        var local = Worker(broker, LocalNode);
        broker.Tell(WalkOf(Root), TestActor);
        var work = remote.ExpectMsg<WalkWork>();
        var sub = Files.Lstat(Source("sub"));
        var seen = differs == "another inode" ? sub with { Inode = sub.Inode + 1_000_000 } : sub with { Device = sub.Device + 1 };

        broker.Tell(new WalkDone(HasherNode, work.WalkId, 0, 1, new DirectoryWalked("", [new SourceEntry("sub", seen)], [])), remote.Ref);
        var again = local.ExpectMsg<WalkWork>();
        Answer(broker, local, again, LocalNode);

        var walked = ExpectMsg<DirectoryWalked>();
        Assert.Equal(sub, Assert.Single(walked.Entries).Meta);
    }

    [Fact]
    public void A_folder_on_another_file_system_than_the_root_and_one_too_big_to_send_are_listed_on_the_coordinators_node()
    {
        var broker = WalkBroker(Options());
        var remote = Worker(broker, HasherNode);
        var local = Worker(broker, LocalNode);
        var root = Files.Lstat(Root);

        broker.Tell(new WalkDirectory("mnt", root with { Device = root.Device + 1 }), TestActor);
        var mnt = local.ExpectMsg<WalkWork>();
        Assert.Equal("mnt", mnt.Walk.Path);
        remote.ExpectNoMsg(TimeSpan.FromMilliseconds(200));

        broker.Tell(new WalkDirectory("big", root), TestActor);
        var work = remote.ExpectMsg<WalkWork>();
        broker.Tell(new WalkDone(HasherNode, work.WalkId, 0, 0, new DirectoryWalked("big", [], [])), remote.Ref);
        broker.Tell(new WalkDone(LocalNode, mnt.WalkId, 0, 1, new DirectoryWalked("mnt", [], [])), local.Ref); // frees the local worker
        broker.Tell(new RequestWork(local.Ref), local.Ref);
        ExpectMsg<DirectoryWalked>(); // mnt's listing
        Assert.Equal("big", local.ExpectMsg<WalkWork>().Walk.Path);
    }

    [Fact]
    public void A_hash_worker_lists_a_folder_in_the_device_numbers_of_the_coordinators_view()
    {
        SourceFile("a", "a");
        Directory.CreateDirectory(Source("d"));
        var root = Files.Lstat(Root);
        const ulong CoordinatorsDevice = 4242;
        var worker = Sys.ActorOf(HashWorker.Props(HasherNode, PathMap.Identity, Settings, sameHost: true));

        worker.Tell(new WalkWork(9, Root, new WalkDirectory("", root with { Device = CoordinatorsDevice }), CoordinatorsDevice), TestActor);
        var done = ExpectMsg<WalkDone>();
        ExpectMsg<RequestWork>();

        Assert.Equal((HasherNode, 9L, 0, 1), (done.Node, done.WalkId, done.Part, done.Parts));
        Assert.Empty(done.Result.Problems); // the root's own device was mapped: not "replaced"
        Assert.Equal(["a", "d"], done.Result.Entries.Select(e => e.Path));
        Assert.All(done.Result.Entries, e => Assert.Equal(CoordinatorsDevice, e.Meta.Device));
        Assert.Equal(Files.Lstat(Source("a")).Inode, done.Result.Entries[0].Meta.Inode);
    }
}
