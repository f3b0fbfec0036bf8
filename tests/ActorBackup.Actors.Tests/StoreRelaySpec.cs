using ActorBackup.Actors.Cluster;
using ActorBackup.Actors.Tests.Support;
using ActorBackup.Protocol;
using Akka.Actor;
using Xunit.Abstractions;
using static ActorBackup.Protocol.ClusterProtocol;
using static ActorBackup.Protocol.DataStoreProtocol;

namespace ActorBackup.Actors.Tests;

/// <summary>The relays between a cluster run's coordinator and its data-store.</summary>
public sealed class StoreRelaySpec(ITestOutputHelper output) : ActorSpec(output)
{
    [Fact]
    public void Commands_and_replies_arrive_in_order_and_equal_to_what_was_sent_as_if_sent_directly()
    {
        var dataStore = CreateTestProbe();
        var storageRelay = Sys.ActorOf(StoreRelay.Props(dataStore.Ref, null));
        var coordinatorRelay = Sys.ActorOf(StoreRelay.Props(null, storageRelay));
        var files = Enumerable.Range(0, 3).Select(i => new HashedFile(SourceFile($"docs/{i}.txt", $"text {i}"), $"{i:X40}")).ToList();
        object[] commands = [new CreateEntries("docs", [SourceFile("sub.txt", "")]), new StoreFiles(files), new FinalizeDirectory(SourceFile("top.txt", ""))];

        foreach (var command in commands)
            coordinatorRelay.Tell(command, TestActor);

        foreach (var command in commands)
            Assert.Empty(DeepEquality.Differences(command, dataStore.ExpectMsg<object>()));
        // The data-store answers its sender, as it answers the coordinator in one process.
        dataStore.Reply(new FilesStored(files, []));
        dataStore.Reply(new DirectoryFinalized("docs", null));
        Assert.Empty(DeepEquality.Differences(new FilesStored(files, []), ExpectMsg<FilesStored>()));
        Assert.Equal("docs", ExpectMsg<DirectoryFinalized>().Path);
    }

    [Fact]
    public void A_burst_of_messages_crosses_as_few_relayed_messages_each_below_the_frame_limit()
    {
        var peer = CreateTestProbe();
        var relay = Sys.ActorOf(StoreRelay.Props(null, peer.Ref));
        var burst = Enumerable.Range(0, 2000)
            .Select(i => new StoreFiles([new HashedFile(SourceFile($"home/user{i % 50}/file-{i}.txt", $"content {i}"), $"{i:X40}")]))
            .ToList();

        foreach (var message in burst)
            relay.Tell(message, TestActor);

        var received = new List<Relayed>();
        while (received.Sum(r => r.Messages.Count) < burst.Count)
            received.Add(peer.ExpectMsg<Relayed>());
        Assert.True(received.Count < burst.Count / 20, $"{burst.Count} messages crossed as {received.Count} relayed messages");
        Assert.All(received, r => Assert.True(r.Messages.Sum(m => m.Bytes.Length) <= StoreRelay.MaxBatchBytes));
        Assert.Equal(burst.Select(b => b.Files[0].Source.Path), received.SelectMany(r => r.Messages).Select(m => ((StoreFiles)Deserialize(m)).Files[0].Source.Path));
    }

    [Fact]
    public void When_the_data_store_stops_the_coordinators_relay_stops_so_the_coordinator_sees_its_data_store_gone()
    {
        var dataStore = CreateTestProbe();
        var storageRelay = Sys.ActorOf(StoreRelay.Props(dataStore.Ref, null));
        var coordinatorRelay = Sys.ActorOf(StoreRelay.Props(null, storageRelay));
        coordinatorRelay.Tell(new CloseSnapshot(false), TestActor);
        dataStore.ExpectMsg<CloseSnapshot>();
        Watch(coordinatorRelay);

        Sys.Stop(dataStore.Ref);

        ExpectTerminated(coordinatorRelay);
    }

    private object Deserialize(RelayedMessage m) =>
        new Protocol.Serialization.ProtocolSerializer((ExtendedActorSystem)Sys).FromBinary(m.Bytes, m.Manifest);
}
