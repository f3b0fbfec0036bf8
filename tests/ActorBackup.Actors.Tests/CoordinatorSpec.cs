using ActorBackup.Actors.Tests.Support;
using ActorBackup.Core;
using ActorBackup.Posix;
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

/// <summary>The coordinator with TestProbes standing in for the walkers, the hasher pool, the data-store and the reporter.</summary>
public sealed class CoordinatorSpec : ActorSpec
{
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(300);
    private static readonly StoreStats NoStats = new(0, 0, 0, 0, 0, 0, 0, 0);

    private readonly TestProbe _walkers;
    private readonly TestProbe _hashers;
    private readonly TestProbe _store;
    private readonly TestProbe _reporter;
    private ulong _nextInode = 100;

    public CoordinatorSpec(ITestOutputHelper output) : base(output)
    {
        _walkers = CreateTestProbe("walkers");
        _hashers = CreateTestProbe("hashers");
        _store = CreateTestProbe("data-store");
        _reporter = CreateTestProbe("reporter");
    }

    private BackupSettings Small(int hashBatchFiles = 2, long hashBatchBytes = 1000, int hashers = 1, int batchesPerHasher = 2, int maxQueuedFiles = 1000) =>
        Settings with
        {
            Walkers = 1,
            Hashers = hashers,
            BatchesPerHasher = batchesPerHasher,
            HashBatchFiles = hashBatchFiles,
            HashBatchBytes = hashBatchBytes,
            MaxQueuedFiles = maxQueuedFiles,
            ProgressInterval = TimeSpan.Zero,
        };

    private IActorRef Start(BackupSettings settings, RunOptions? options = null)
    {
        var coordinator = Sys.ActorOf(CoordinatorActor.Props(options ?? Options(), settings, _reporter.Ref,
            new CoordinatorActor.Workers(_walkers.Ref, _hashers.Ref, _store.Ref)));
        coordinator.Tell(new StartRun(), TestActor);
        return coordinator;
    }

    /// <summary>StartRun -> OpenSnapshot -> SnapshotOpened -> WalkDirectory of the root.</summary>
    private IActorRef StartAndOpen(BackupSettings settings, RunOptions? options = null)
    {
        var coordinator = Start(settings, options);
        _store.ExpectMsg<OpenSnapshot>();
        _store.Reply(new SnapshotOpened());
        _walkers.ExpectMsg<WalkDirectory>(w => w.Path == "");
        return coordinator;
    }

    private FileMeta Meta(EntryType type, long size = 0) => new(
        type, type == EntryType.Directory ? 0x1EDu : 0x1A4u, 1000, 100, size,
        new Timestamp(1_600_000_000, 0), new Timestamp(1_600_000_000, 0), 1, _nextInode++, 0, 1);

    private SourceEntry File(string path, long size = 10) => new(path, Meta(EntryType.File, size));

    private SourceEntry Dir(string path) => new(path, Meta(EntryType.Directory));

    private static HashedFile Hash(SourceEntry e) => new(e, "A9993E364706816ABA3E25717850C26C9CD0D89D");

    private static List<HashedFile> Hash(HashFiles batch) => batch.Files.Select(Hash).ToList();

    [Fact]
    public void Coordinator_opens_the_snapshot_with_the_root_as_lstat_sees_it_then_walks_the_root()
    {
        var coordinator = Start(Small());

        var open = _store.ExpectMsg<OpenSnapshot>();
        _walkers.ExpectNoMsg(Quiet); // nothing is walked before the snapshot is open
        _store.Reply(new SnapshotOpened());
        var walk = _walkers.ExpectMsg<WalkDirectory>();

        Assert.Equal("", open.Root.Path);
        Assert.Equal(Files.Lstat(Root).Inode, open.Root.Meta.Inode);
        Assert.Equal("", walk.Path);
        Assert.Equal(Files.Lstat(Root).Inode, walk.Expected.Inode);
        Assert.Equal(coordinator, _walkers.LastSender);
    }

    [Fact]
    public void Coordinator_drives_a_run_to_RunFinished_with_exit_code_0()
    {
        var coordinator = StartAndOpen(Small(hashBatchFiles: 2));
        SourceEntry a = File("a"), b = File("b"), c = File("c"), ln = new("ln", Meta(EntryType.Symlink), "a"u8.ToArray()), sub = Dir("sub");

        coordinator.Tell(new DirectoryWalked("", [a, b, c, ln, sub], []), _walkers.Ref);
        var create = _store.ExpectMsg<CreateEntries>();
        var batch1 = _hashers.ExpectMsg<HashFiles>();
        var batch2 = _hashers.ExpectMsg<HashFiles>();
        var walkSub = _walkers.ExpectMsg<WalkDirectory>();

        Assert.Equal("", create.Directory);
        Assert.Equal(["ln", "sub"], create.Entries.Select(e => e.Path));
        Assert.Equal(["a", "b"], batch1.Files.Select(f => f.Path));
        Assert.Equal(["c"], batch2.Files.Select(f => f.Path));
        Assert.NotEqual(batch1.BatchId, batch2.BatchId);
        Assert.Equal(("sub", sub.Meta), (walkSub.Path, walkSub.Expected));

        coordinator.Tell(new EntriesCreated("", [], 0), _store.Ref);
        coordinator.Tell(new FilesHashed(batch1.BatchId, Hash(batch1), [], 20), _hashers.Ref);
        coordinator.Tell(new FilesHashed(batch2.BatchId, Hash(batch2), [], 10), _hashers.Ref);
        coordinator.Tell(new DirectoryWalked("sub", [], []), _walkers.Ref);

        Assert.Equal(["a", "b"], _store.ExpectMsg<StoreFiles>().Files.Select(f => f.Source.Path));
        Assert.Equal(["c"], _store.ExpectMsg<StoreFiles>().Files.Select(f => f.Source.Path));
        Assert.Equal("sub", _store.ExpectMsg<FinalizeDirectory>().Directory.Path);

        coordinator.Tell(new DirectoryFinalized("sub", null), _store.Ref);
        coordinator.Tell(new FilesStored([Hash(a), Hash(b)], []), _store.Ref);
        _store.ExpectNoMsg(Quiet); // c is not stored yet: the root is not finalized
        coordinator.Tell(new FilesStored([Hash(c)], []), _store.Ref);

        Assert.Equal("", _store.ExpectMsg<FinalizeDirectory>().Directory.Path);
        coordinator.Tell(new DirectoryFinalized("", null), _store.Ref);
        Assert.True(_store.ExpectMsg<CloseSnapshot>().Publish);
        coordinator.Tell(new SnapshotClosed(new StoreStats(3, 30, 3, 0, 1, 1, 0, 0)), _store.Ref);
        var finished = ExpectMsg<RunFinished>();

        Assert.Equal(ExitCode.Success, finished.Code);
        Assert.Null(finished.FatalReason);
        Assert.Equal(3, finished.Stats.Files);
        Assert.Equal(2, finished.Stats.Directories);
        Assert.Equal(1, finished.Stats.Symlinks);
        Assert.Equal(30, finished.Stats.BytesRead);
        Assert.Equal(30, finished.Stats.LogicalBytes);
        Assert.Equal(0, finished.Stats.Problems);
        Assert.Equal(3, finished.Stats.NewEntries);
        _reporter.ExpectNoMsg(TimeSpan.Zero);
    }

    [Fact]
    public void Coordinator_bounds_hash_batches_by_files_bytes_and_batches_in_flight()
    {
        var coordinator = StartAndOpen(Small(hashBatchFiles: 3, hashBatchBytes: 100, hashers: 1, batchesPerHasher: 2));
        var files = new[] { File("f1"), File("f2"), File("f3"), File("f4"), File("f5", 200), File("f6"), File("f7") };

        coordinator.Tell(new DirectoryWalked("", files, []), _walkers.Ref);
        var b1 = _hashers.ExpectMsg<HashFiles>();
        var b2 = _hashers.ExpectMsg<HashFiles>();
        _hashers.ExpectNoMsg(Quiet); // two batches in flight: hashers x batches-per-hasher

        Assert.Equal(["f1", "f2", "f3"], b1.Files.Select(f => f.Path)); // file limit
        Assert.Equal(["f4"], b2.Files.Select(f => f.Path)); // f5 would pass the byte limit

        coordinator.Tell(new FilesHashed(b1.BatchId, Hash(b1), [], 30), _hashers.Ref);
        var b3 = _hashers.ExpectMsg<HashFiles>();
        _hashers.ExpectNoMsg(Quiet);
        coordinator.Tell(new FilesHashed(b2.BatchId, Hash(b2), [], 10), _hashers.Ref);
        var b4 = _hashers.ExpectMsg<HashFiles>();

        Assert.Equal(["f5"], b3.Files.Select(f => f.Path)); // a big file travels alone
        Assert.Equal(["f6", "f7"], b4.Files.Select(f => f.Path));
    }

    [Fact]
    public void Coordinator_walks_depth_first_in_name_order()
    {
        var coordinator = StartAndOpen(Small());

        coordinator.Tell(new DirectoryWalked("", [Dir("d1"), Dir("d2")], []), _walkers.Ref);
        var first = _walkers.ExpectMsg<WalkDirectory>();
        _walkers.ExpectNoMsg(Quiet); // one walker: one walk at a time
        coordinator.Tell(new DirectoryWalked("d1", [Dir("d1/x")], []), _walkers.Ref);
        var second = _walkers.ExpectMsg<WalkDirectory>();
        coordinator.Tell(new DirectoryWalked("d1/x", [], []), _walkers.Ref);
        var third = _walkers.ExpectMsg<WalkDirectory>();

        Assert.Equal(["d1", "d1/x", "d2"], new[] { first.Path, second.Path, third.Path });
    }

    [Fact]
    public void Coordinator_walks_no_further_directory_while_max_queued_files_are_outstanding()
    {
        var coordinator = StartAndOpen(Small(maxQueuedFiles: 2));
        SourceEntry a = File("a"), b = File("b"), sub = Dir("sub");

        coordinator.Tell(new DirectoryWalked("", [a, b, sub], []), _walkers.Ref);
        var batch = _hashers.ExpectMsg<HashFiles>();
        _walkers.ExpectNoMsg(Quiet);
        coordinator.Tell(new FilesHashed(batch.BatchId, Hash(batch), [], 20), _hashers.Ref);
        coordinator.Tell(new FilesStored(Hash(batch), []), _store.Ref);

        Assert.Equal("sub", _walkers.ExpectMsg<WalkDirectory>().Path);
    }

    [Fact]
    public void Coordinator_finishes_with_exit_code_3_when_a_file_had_a_problem()
    {
        var coordinator = StartAndOpen(Small());
        SourceEntry a = File("a"), b = File("b");

        coordinator.Tell(new DirectoryWalked("", [a, b], []), _walkers.Ref);
        var batch = _hashers.ExpectMsg<HashFiles>();
        coordinator.Tell(new FilesHashed(batch.BatchId, [Hash(b)], [new FileProblem("a", "vanished before it could be read")], 10), _hashers.Ref);
        var problem = _reporter.ExpectMsg<ProblemReported>();
        Assert.Equal(["b"], _store.ExpectMsg<StoreFiles>().Files.Select(f => f.Source.Path));
        coordinator.Tell(new FilesStored([Hash(b)], []), _store.Ref);
        _store.ExpectMsg<FinalizeDirectory>();
        coordinator.Tell(new DirectoryFinalized("", null), _store.Ref);
        var close = _store.ExpectMsg<CloseSnapshot>();
        coordinator.Tell(new SnapshotClosed(NoStats), _store.Ref);
        var finished = ExpectMsg<RunFinished>();

        Assert.Equal(Path.Combine(Root, "a"), problem.Problem.Path); // absolute, as the user sees it
        Assert.Equal("vanished before it could be read", problem.Problem.Reason);
        Assert.True(close.Publish); // published anyway: one unreadable file does not stop a backup
        Assert.Equal(ExitCode.FileErrors, finished.Code);
        Assert.Equal(3, (int)finished.Code);
        Assert.Equal(1, finished.Stats.Problems);
        Assert.Equal(1, finished.Stats.Files);
    }

    [Fact]
    public void Coordinator_reports_a_directory_the_walker_refused_and_finishes_with_exit_code_3()
    {
        var coordinator = StartAndOpen(Small());

        coordinator.Tell(new DirectoryWalked("", [], [new FileProblem("", "cannot list directory: Permission denied (EACCES); it is in the snapshot empty")]), _walkers.Ref);
        var problem = _reporter.ExpectMsg<ProblemReported>();
        _store.ExpectMsg<FinalizeDirectory>();
        coordinator.Tell(new DirectoryFinalized("", null), _store.Ref);
        _store.ExpectMsg<CloseSnapshot>();
        coordinator.Tell(new SnapshotClosed(NoStats), _store.Ref);

        Assert.Equal(Root, problem.Problem.Path);
        Assert.Equal(ExitCode.FileErrors, ExpectMsg<RunFinished>().Code);
    }

    [Fact]
    public void Coordinator_aborts_with_exit_code_1_and_leaves_the_snapshot_unpublished_on_StoreFailed()
    {
        var coordinator = StartAndOpen(Small());
        SourceEntry a = File("a"), sub = Dir("sub");

        coordinator.Tell(new DirectoryWalked("", [a, sub], []), _walkers.Ref);
        _store.ExpectMsg<CreateEntries>();
        var batch = _hashers.ExpectMsg<HashFiles>();
        coordinator.Tell(new StoreFailed("no space left on /data"), _store.Ref);
        var close = _store.ExpectMsg<CloseSnapshot>();
        coordinator.Tell(new FilesHashed(batch.BatchId, Hash(batch), [], 10), _hashers.Ref); // late result
        coordinator.Tell(new EntriesCreated("", [], 0), _store.Ref);
        _store.ExpectNoMsg(Quiet); // no StoreFiles or FinalizeDirectory after the failure
        coordinator.Tell(new SnapshotClosed(NoStats), _store.Ref);
        var finished = ExpectMsg<RunFinished>();

        Assert.False(close.Publish);
        Assert.Equal(ExitCode.Fatal, finished.Code);
        Assert.Equal(1, (int)finished.Code);
        Assert.Equal("no space left on /data", finished.FatalReason);
    }

    [Fact]
    public void Coordinator_ends_the_run_with_the_exit_code_StoreFailed_names()
    {
        var coordinator = StartAndOpen(Small());

        coordinator.Tell(new StoreFailed("no space left on /data (file system /data; ...)", ExitCode.NoSpace), _store.Ref);
        var close = _store.ExpectMsg<CloseSnapshot>();
        coordinator.Tell(new SnapshotClosed(NoStats), _store.Ref);
        var finished = ExpectMsg<RunFinished>();

        Assert.False(close.Publish);
        Assert.Equal(13, (int)finished.Code);
        Assert.Equal("no space left on /data (file system /data; ...)", finished.FatalReason);
    }

    [Fact]
    public void Coordinator_fails_with_exit_code_1_when_the_root_folder_is_missing()
    {
        Directory.Delete(Root);

        Start(Small());
        var close = _store.ExpectMsg<CloseSnapshot>();
        _store.Reply(new SnapshotClosed(NoStats));
        var finished = ExpectMsg<RunFinished>();

        Assert.False(close.Publish);
        Assert.Equal(ExitCode.Fatal, finished.Code);
        Assert.Contains("cannot read the root folder", finished.FatalReason);
        _walkers.ExpectNoMsg(TimeSpan.Zero);
    }

    [Fact]
    public void Coordinator_under_pauseonerror_walks_on_only_after_ResumeAfterProblem()
    {
        var coordinator = StartAndOpen(Small(), Options() with { PauseOnError = true });

        coordinator.Tell(new DirectoryWalked("", [Dir("sub")], [new FileProblem("x", "cannot examine: Permission denied (EACCES)")]), _walkers.Ref);
        _reporter.ExpectMsg<ProblemReported>();
        _walkers.ExpectNoMsg(Quiet);
        coordinator.Tell(new ResumeAfterProblem(), _reporter.Ref);

        Assert.Equal("sub", _walkers.ExpectMsg<WalkDirectory>().Path);
    }

    [Fact]
    public void Coordinator_reports_progress_every_N_files()
    {
        var coordinator = StartAndOpen(Small(hashBatchFiles: 10), Options() with { ProgressEvery = 2 });
        var files = new[] { File("a"), File("b"), File("c") };

        coordinator.Tell(new DirectoryWalked("", files, []), _walkers.Ref);
        var batch = _hashers.ExpectMsg<HashFiles>();
        coordinator.Tell(new FilesStored([Hash(files[0])], []), _store.Ref);
        _reporter.ExpectNoMsg(Quiet);
        coordinator.Tell(new FilesStored([Hash(files[1]), Hash(files[2])], []), _store.Ref);
        var progress = _reporter.ExpectMsg<ProgressReported>();

        Assert.Equal(3, batch.Files.Count);
        Assert.False(progress.Periodic);
        Assert.Equal(3, progress.Stats.Files);
    }
}
