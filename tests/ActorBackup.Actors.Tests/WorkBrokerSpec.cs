using ActorBackup.Actors.Cluster;
using ActorBackup.Actors.Tests.Support;
using ActorBackup.Protocol;
using Akka.Actor;
using Akka.TestKit;
using Xunit.Abstractions;
using static ActorBackup.Protocol.ClusterProtocol;
using static ActorBackup.Protocol.HasherProtocol;

namespace ActorBackup.Actors.Tests;

/// <summary>The cluster run's work broker: who gets which batch, and when hashing starts.</summary>
public sealed partial class WorkBrokerSpec(ITestOutputHelper output) : ActorSpec(output)
{
    private const string HasherNode = "10.0.0.2:2552";
    private const string LocalNode = "10.0.0.1:2552";

    private IActorRef Broker(TimeSpan hasherWait, params string[] awaited) =>
        Sys.ActorOf(WorkBroker.Props(Options(), TimeSpan.FromMinutes(2), awaited, hasherWait));

    /// <summary>A broker whose own node's workers stand in only while no other node's worker is registered (coordinator-hashes = auto).</summary>
    private IActorRef StandInBroker() =>
        Sys.ActorOf(WorkBroker.Props(Options(), TimeSpan.FromMinutes(2), [], TimeSpan.Zero, LocalNode));

    /// <summary>A worker probe that registered and asked for one batch.</summary>
    private TestProbe Worker(IActorRef broker, string node)
    {
        var worker = CreateTestProbe();
        broker.Tell(new RegisterWorker(worker.Ref, node, 1), worker.Ref);
        worker.ExpectMsg<WorkerRegistered>();
        broker.Tell(new RequestWork(worker.Ref), worker.Ref);
        return worker;
    }

    private HashFiles Batch(long id) => new(id, [SourceFile($"f{id}", $"content {id}")]);

    [Fact]
    public void Batches_wait_until_every_hasher_node_named_at_the_start_has_a_worker_registered()
    {
        var broker = Broker(TimeSpan.FromMinutes(1), HasherNode);
        broker.Tell(Batch(1));
        broker.Tell(Batch(2));
        var local = Worker(broker, LocalNode);

        local.ExpectNoMsg(TimeSpan.FromMilliseconds(500)); // the coordinator's own worker must not take everything first

        var remote = Worker(broker, HasherNode);
        var batches = new[] { local.ExpectMsg<HashWork>(), remote.ExpectMsg<HashWork>() };
        Assert.Equal([1L, 2L], batches.Select(b => b.BatchId).Order());
        Assert.All(batches, b => Assert.Equal(Root, b.Root));
    }

    [Fact]
    public void With_coordinator_hashes_auto_the_coordinators_workers_hash_only_while_no_hasher_node_serves_the_run()
    {
        var broker = StandInBroker();
        var local = Worker(broker, LocalNode);
        broker.Tell(Batch(1));
        Assert.Equal(1, local.ExpectMsg<HashWork>().BatchId); // no hasher node: the coordinator's node hashes
        broker.Tell(new WorkDone(LocalNode, new FilesHashed(1, [], [], 0)), local.Ref);
        broker.Tell(new RequestWork(local.Ref), local.Ref);

        var remote = Worker(broker, HasherNode);
        broker.Tell(Batch(2));
        broker.Tell(Batch(3));
        Assert.Equal(2, remote.ExpectMsg<HashWork>().BatchId);
        local.ExpectNoMsg(TimeSpan.FromMilliseconds(300)); // batch 3 waits for the hasher node, not for the idle local worker

        Sys.Stop(remote.Ref); // the hasher node is gone: its batch and the waiting one go to the coordinator's node
        var taken = new[] { local.ExpectMsg<HashWork>(TimeSpan.FromSeconds(5)).BatchId };
        broker.Tell(new RequestWork(local.Ref), local.Ref);
        taken = [.. taken, local.ExpectMsg<HashWork>(TimeSpan.FromSeconds(5)).BatchId];
        Assert.Equal([2L, 3L], taken.Order());
    }

    [Fact]
    public void A_hasher_node_that_does_not_register_within_hasher_wait_is_not_waited_for_and_still_gets_work_later()
    {
        var broker = Broker(TimeSpan.FromMilliseconds(300), HasherNode);
        broker.Tell(Batch(1));
        broker.Tell(Batch(2));
        var local = Worker(broker, LocalNode);

        var first = local.ExpectMsg<HashWork>(TimeSpan.FromSeconds(10));
        Assert.Equal(1, first.BatchId);

        var late = Worker(broker, HasherNode);
        Assert.Equal(2, late.ExpectMsg<HashWork>().BatchId);
    }

    [Fact]
    public void Without_hasher_nodes_the_first_batch_goes_out_at_once_and_its_result_reaches_the_coordinator_once()
    {
        var broker = Broker(TimeSpan.FromMinutes(1));
        var local = Worker(broker, LocalNode);
        broker.Tell(Batch(7));

        var work = local.ExpectMsg<HashWork>(TimeSpan.FromSeconds(1));
        var result = new FilesHashed(7, [], [], 0);
        broker.Tell(new WorkDone(LocalNode, result), local.Ref);
        broker.Tell(new WorkDone(HasherNode, result), local.Ref); // a late duplicate is dropped

        Assert.Equal(7, work.BatchId);
        Assert.Equal(7, ExpectMsg<FilesHashed>().BatchId);
        ExpectNoMsg(TimeSpan.FromMilliseconds(300));
        broker.Tell(new WorkBroker.GetWorkStats());
        var stats = ExpectMsg<WorkBroker.WorkStats>();
        Assert.Equal(new Dictionary<string, long> { [LocalNode] = 0 }, stats.FilesByNode);
    }

    [Fact]
    public void A_hasher_node_that_does_not_see_the_source_is_not_waited_for_and_gets_no_work()
    {
        var source = new SourceIdentity(Root, SourceDirectory("").Meta, []);
        var broker = Sys.ActorOf(WorkBroker.Props(Options(), TimeSpan.FromMinutes(2), [HasherNode], TimeSpan.FromMinutes(1), source: source));
        broker.Tell(Batch(1));
        var local = Worker(broker, LocalNode);
        local.ExpectNoMsg(TimeSpan.FromMilliseconds(300)); // waiting for the hasher node

        broker.Tell(new GetSourceIdentity());
        Assert.Same(source, ExpectMsg<SourceIdentity>());
        broker.Tell(new SourceNotSeen(HasherNode, "/mnt/empty", "it is inode 7, the coordinator's root folder is inode 8"));

        Assert.Equal(1, local.ExpectMsg<HashWork>(TimeSpan.FromSeconds(5)).BatchId); // not after hasher-wait's minute
    }

    [Fact]
    public void Files_a_hasher_node_could_not_read_are_read_again_on_the_coordinators_node_and_the_coordinator_gets_one_result()
    {
        var broker = StandInBroker();
        var local = Worker(broker, LocalNode);
        var remote = Worker(broker, HasherNode);
        var (a, b, c) = (SourceFile("a", "A"), SourceFile("b", "B"), SourceFile("c", "C"));
        broker.Tell(new HashFiles(1, [a, b, c]));
        Assert.Equal(1, remote.ExpectMsg<HashWork>().BatchId);

        broker.Tell(new WorkDone(HasherNode, new FilesHashed(1, [new HashedFile(a, Sha1Hex("A"))],
            [new FileProblem("b", "vanished before it could be read"), new FileProblem("c", "vanished before it could be read")], 1)), remote.Ref);

        var retry = local.ExpectMsg<HashWork>(); // although a hasher node serves the run (coordinator-hashes = auto)
        Assert.Equal(["b", "c"], retry.Files.Select(f => f.Path));
        ExpectNoMsg(TimeSpan.FromMilliseconds(300)); // the coordinator waits for the retry
        broker.Tell(new WorkDone(LocalNode, new FilesHashed(retry.BatchId, [new HashedFile(b, Sha1Hex("B"))],
            [new FileProblem("c", "vanished before it could be read")], 1)), local.Ref);

        var result = ExpectMsg<FilesHashed>();
        Assert.Equal(1, result.BatchId);
        Assert.Equal(["a", "b"], result.Hashed.Select(h => h.Source.Path));
        Assert.Equal(["c"], result.Problems.Select(p => p.Path)); // unreadable here too: reported
        Assert.Equal(2, result.BytesRead);
        ExpectNoMsg(TimeSpan.FromMilliseconds(300));
        broker.Tell(new WorkBroker.GetWorkStats());
        Assert.Equal(new Dictionary<string, long> { [HasherNode] = 1, [LocalNode] = 2 }, ExpectMsg<WorkBroker.WorkStats>().FilesByNode);
    }
}
