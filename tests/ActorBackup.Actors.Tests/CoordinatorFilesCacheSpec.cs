using ActorBackup.Actors.Tests.Support;
using ActorBackup.Core;
using ActorBackup.Protocol;
using ActorBackup.Store;
using ActorBackup.Store.Catalog;
using Akka.Actor;
using Akka.TestKit;
using Xunit.Abstractions;
using static ActorBackup.Protocol.CoordinatorProtocol;
using static ActorBackup.Protocol.DataStoreProtocol;
using static ActorBackup.Protocol.HasherProtocol;
using static ActorBackup.Protocol.WalkerProtocol;
using CoordinatorActor = ActorBackup.Actors.Coordinator.Coordinator;

namespace ActorBackup.Actors.Tests;

/// <summary>The coordinator with files known unchanged: they skip the hashers (unless --rehash), the others are copied while hashed.</summary>
public sealed class CoordinatorFilesCacheSpec : ActorSpec
{
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(300);
    private const string OldHash = "A9993E364706816ABA3E25717850C26C9CD0D89D";
    private const string NewHash = "DA39A3EE5E6B4B0D3255BFEF95601890AFD80709";

    private readonly TestProbe _walkers;
    private readonly TestProbe _hashers;
    private readonly TestProbe _store;
    private readonly TestProbe _reporter;
    private ulong _nextInode = 100;

    public CoordinatorFilesCacheSpec(ITestOutputHelper output) : base(output)
    {
        _walkers = CreateTestProbe("walkers");
        _hashers = CreateTestProbe("hashers");
        _store = CreateTestProbe("data-store");
        _reporter = CreateTestProbe("reporter");
    }

    private BackupSettings Small(int hashBatchFiles = 10, int batchesPerHasher = 4) =>
        Settings with
        {
            Walkers = 1,
            Hashers = 1,
            BatchesPerHasher = batchesPerHasher,
            HashBatchFiles = hashBatchFiles,
            HashBatchBytes = 1_000_000,
            MaxQueuedFiles = 1000,
            ProgressInterval = TimeSpan.Zero,
        };

    private IActorRef StartAndOpen(bool copyFirst, RunOptions? options = null, BackupSettings? settings = null)
    {
        var coordinator = Sys.ActorOf(CoordinatorActor.Props(options ?? Options(), settings ?? Small(), _reporter.Ref,
            new CoordinatorActor.Workers(_walkers.Ref, _hashers.Ref, _store.Ref, copyFirst)));
        coordinator.Tell(new StartRun(), TestActor);
        _store.ExpectMsg<OpenSnapshot>();
        _store.Reply(new SnapshotOpened());
        _walkers.ExpectMsg<WalkDirectory>(w => w.Path == "");
        return coordinator;
    }

    private FileMeta Meta(EntryType type, long size = 10) => new(
        type, type == EntryType.Directory ? 0x1EDu : 0x1A4u, 1000, 100, size,
        new Timestamp(1_600_000_000, 0), new Timestamp(1_600_000_000, 0), 1, _nextInode++, 0, 1);

    private SourceEntry NewFile(string path, long size = 10) => new(path, Meta(EntryType.File, size));

    private SourceEntry KnownFile(string path, int suffix = 0, long size = 10, string hash = OldHash) =>
        new(path, Meta(EntryType.File, size), null, new KnownContent(hash, suffix));

    private SourceEntry Dir(string path) => new(path, Meta(EntryType.Directory));

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Coordinator_sends_known_files_straight_to_the_data_store_and_the_rest_to_the_hashers(bool copyFirst)
    {
        var coordinator = StartAndOpen(copyFirst);
        SourceEntry k1 = KnownFile("k1", suffix: 0), n1 = NewFile("n1"), k2 = KnownFile("k2", suffix: 3, hash: NewHash), n2 = NewFile("n2");

        coordinator.Tell(new DirectoryWalked("", [k1, n1, k2, n2], []), _walkers.Ref);
        var store = _store.ExpectMsg<StoreFiles>();
        var batch = _hashers.ExpectMsg<HashFiles>();
        _hashers.ExpectNoMsg(Quiet);

        Assert.Equal([new HashedFile(k1, OldHash), new HashedFile(k2, NewHash)], store.Files);
        Assert.All(store.Files, f => Assert.Null(f.Temp));
        Assert.Same(k1, store.Files[0].Source); // with its Known, for the data-store to link
        Assert.Equal(["n1", "n2"], batch.Files.Select(f => f.Path));
        Assert.Equal(copyFirst, batch.CopyToStore);
        Assert.Equal(coordinator, _store.LastSender);
    }

    [Fact]
    public void Coordinator_hashes_no_batch_when_every_file_is_known()
    {
        var coordinator = StartAndOpen(copyFirst: true);
        var files = Enumerable.Range(0, 5).Select(i => KnownFile($"k{i}", suffix: i)).ToList();

        coordinator.Tell(new DirectoryWalked("", files, []), _walkers.Ref);
        var store = _store.ExpectMsg<StoreFiles>();

        _hashers.ExpectNoMsg(Quiet);
        Assert.Equal(files.Select(f => new HashedFile(f, OldHash)), store.Files);
    }

    [Fact]
    public void Coordinator_drives_a_run_of_known_and_new_files_to_RunFinished_counting_the_unchanged()
    {
        var coordinator = StartAndOpen(copyFirst: true);
        SourceEntry k1 = KnownFile("k1"), k2 = KnownFile("k2", suffix: 1), n1 = NewFile("n1", size: 7), sub = Dir("sub");

        coordinator.Tell(new DirectoryWalked("", [k1, k2, n1, sub], []), _walkers.Ref);
        Assert.Equal(["sub"], _store.ExpectMsg<CreateEntries>().Entries.Select(e => e.Path));
        var known = _store.ExpectMsg<StoreFiles>();
        var batch = _hashers.ExpectMsg<HashFiles>();
        Assert.Equal("sub", _walkers.ExpectMsg<WalkDirectory>().Path);
        coordinator.Tell(new EntriesCreated("", [], 0), _store.Ref);
        coordinator.Tell(new DirectoryWalked("sub", [KnownFile("sub/k3", suffix: 2)], []), _walkers.Ref);
        var knownSub = _store.ExpectMsg<StoreFiles>();
        _hashers.ExpectNoMsg(Quiet);

        Assert.Equal(["k1", "k2"], known.Files.Select(f => f.Source.Path));
        Assert.Equal("sub/k3", Assert.Single(knownSub.Files).Source.Path);
        Assert.Equal(["n1"], batch.Files.Select(f => f.Path));
        Assert.True(batch.CopyToStore);

        coordinator.Tell(new FilesStored(known.Files, []), _store.Ref);
        coordinator.Tell(new FilesStored(knownSub.Files, []), _store.Ref);
        Assert.Equal("sub", _store.ExpectMsg<FinalizeDirectory>().Directory.Path);
        coordinator.Tell(new DirectoryFinalized("sub", null), _store.Ref);
        coordinator.Tell(new FilesHashed(batch.BatchId, [new HashedFile(n1, NewHash, "h1.tmp")], [], 7), _hashers.Ref);
        var hashed = _store.ExpectMsg<StoreFiles>();
        Assert.Equal([new HashedFile(n1, NewHash, "h1.tmp")], hashed.Files);
        _store.ExpectNoMsg(Quiet); // n1 is not stored yet: the root waits
        coordinator.Tell(new FilesStored(hashed.Files, []), _store.Ref);
        Assert.Equal("", _store.ExpectMsg<FinalizeDirectory>().Directory.Path);
        coordinator.Tell(new DirectoryFinalized("", null), _store.Ref);
        Assert.True(_store.ExpectMsg<CloseSnapshot>().Publish);
        coordinator.Tell(new SnapshotClosed(new StoreStats(1, 7, 4, 0, 1, 0, 0, 0)), _store.Ref);
        var finished = ExpectMsg<RunFinished>();

        Assert.Equal(ExitCode.Success, finished.Code);
        Assert.Equal(4, finished.Stats.Files);
        Assert.Equal(3, finished.Stats.Unchanged);
        Assert.Equal(7, finished.Stats.BytesRead);
        Assert.Equal(30 + 7, finished.Stats.LogicalBytes);
        _reporter.ExpectNoMsg(TimeSpan.Zero);
    }

    [Fact]
    public void Coordinator_under_rehash_sends_known_files_to_the_hashers_without_copying_them()
    {
        var coordinator = StartAndOpen(copyFirst: true, Options() with { Rehash = true });
        SourceEntry k1 = KnownFile("k1"), k2 = KnownFile("k2", suffix: 1), n1 = NewFile("n1");

        coordinator.Tell(new DirectoryWalked("", [k1, n1, k2], []), _walkers.Ref);
        var batches = new[] { _hashers.ExpectMsg<HashFiles>(), _hashers.ExpectMsg<HashFiles>() };
        _store.ExpectNoMsg(Quiet); // nothing is stored before it is read

        var copied = Assert.Single(batches, b => b.CopyToStore);
        var rehashed = Assert.Single(batches, b => !b.CopyToStore);
        Assert.Equal(["n1"], copied.Files.Select(f => f.Path));
        Assert.Equal(["k1", "k2"], rehashed.Files.Select(f => f.Path));
        Assert.All(rehashed.Files, f => Assert.NotNull(f.Known)); // the hasher's result keeps it, for the comparison
    }

    [Fact]
    public void Coordinator_under_rehash_reports_a_notice_for_a_known_file_whose_content_differs()
    {
        var coordinator = StartAndOpen(copyFirst: false, Options() with { Rehash = true });
        SourceEntry same = KnownFile("same"), differs = KnownFile("differs");

        coordinator.Tell(new DirectoryWalked("", [same, differs], []), _walkers.Ref);
        var batch = _hashers.ExpectMsg<HashFiles>();
        Assert.False(batch.CopyToStore);
        coordinator.Tell(new FilesHashed(batch.BatchId, [new HashedFile(same, OldHash), new HashedFile(differs, NewHash)], [], 20), _hashers.Ref);
        var notice = _reporter.ExpectMsg<ProblemReported>();
        var stored = _store.ExpectMsg<StoreFiles>();
        _reporter.ExpectNoMsg(Quiet);

        Assert.True(notice.Notice);
        Assert.Equal(Path.Combine(Root, "differs"), notice.Problem.Path);
        Assert.Equal(
            $"content differs from the previous snapshot although size, mtime and ctime did not change (was {OldHash}, now {NewHash}); stored with its new content",
            notice.Problem.Reason);
        Assert.Equal([("same", OldHash), ("differs", NewHash)], stored.Files.Select(f => (f.Source.Path, f.Hash)));

        coordinator.Tell(new FilesStored(stored.Files, []), _store.Ref);
        _store.ExpectMsg<FinalizeDirectory>();
        coordinator.Tell(new DirectoryFinalized("", null), _store.Ref);
        _store.ExpectMsg<CloseSnapshot>();
        coordinator.Tell(new SnapshotClosed(new StoreStats(0, 0, 0, 0, 0, 0, 0, 0)), _store.Ref);
        var finished = ExpectMsg<RunFinished>();

        Assert.Equal(ExitCode.Success, finished.Code); // a notice is not a problem
        Assert.Equal(0, finished.Stats.Problems);
        Assert.Equal(0, finished.Stats.Unchanged);
        Assert.Equal(2, finished.Stats.Files);
    }

    [Fact]
    public void Coordinator_splits_many_known_files_with_long_names_into_several_StoreFiles()
    {
        var coordinator = StartAndOpen(copyFirst: true);
        var longName = new string('n', 4000);
        var files = Enumerable.Range(0, 40).Select(i => KnownFile($"{longName}{i:D2}")).ToList();

        coordinator.Tell(new DirectoryWalked("", files, []), _walkers.Ref);
        var sent = new List<HashedFile>();
        while (sent.Count < files.Count)
        {
            var message = _store.ExpectMsg<StoreFiles>();
            Assert.True(message.Files.Count < files.Count, "one StoreFiles for 40 files of 4,000-char names exceeds the remote frame limit");
            sent.AddRange(message.Files);
        }

        Assert.Equal(files.Select(f => f.Path), sent.Select(f => f.Source.Path));
        _hashers.ExpectNoMsg(Quiet);
    }
}
