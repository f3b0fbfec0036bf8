using ActorBackup.Actors.Restore;
using ActorBackup.Actors.Tests.Support;
using ActorBackup.Core;
using ActorBackup.Posix;
using ActorBackup.Store;
using ActorBackup.Store.Manifest;
using ActorBackup.Store.Restore;
using Akka.Actor;
using Akka.TestKit;
using Xunit.Abstractions;
using static ActorBackup.Actors.Restore.RestoreProtocol;

namespace ActorBackup.Actors.Tests;

/// <summary>The restore coordinator with TestProbes standing in for the restorer pool and the reporter.</summary>
public sealed class RestoreCoordinatorSpec : ActorSpec
{
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(300);
    private static readonly Timestamp FolderTime = new(1_500_000_000, 123_456_789);

    private readonly TestProbe _restorers;
    private readonly TestProbe _reporter;

    public RestoreCoordinatorSpec(ITestOutputHelper output) : base(output)
    {
        _restorers = CreateTestProbe("restorers");
        _reporter = CreateTestProbe("reporter");
    }

    private string Target => Temp["target"];

    /// <summary>A manifest of the root, folder "d" (mode 0750) and <paramref name="files"/> files in it.</summary>
    private string WriteManifest(int files)
    {
        var path = Temp["week10.manifest"];
        var folder = new FileMeta(EntryType.Directory, 0x1E8, 0, 0, 4096, FolderTime, FolderTime, 1, 2, 0, 1);
        using var writer = new ManifestWriter(path, new Dictionary<string, string> { ["hash"] = "sha1" });
        writer.Write(new ManifestEntry("", folder with { Mode = 0x1ED }, null, -1, null));
        writer.Write(new ManifestEntry("d", folder, null, -1, null));
        for (var i = 0; i < files; i++)
        {
            var meta = new FileMeta(EntryType.File, 0x1A4, 0, 0, 10, FolderTime, FolderTime, 1, (ulong)(100 + i), 0, 1);
            writer.Write(new ManifestEntry($"d/f{i:D3}", meta, Sha1Hex($"file {i}"), 0, null));
        }
        writer.Complete();
        return path;
    }

    private IActorRef Start(int files, int hashers = 1, int batchesPerHasher = 2, int batchFiles = 5)
    {
        Directory.CreateDirectory(Target);
        var options = new RestoreOptions(new StoreLayout(DataFolder, 1, HashKind.Sha1), WriteManifest(files), null, Target, null, Overwrite: false);
        var settings = Settings with { Hashers = hashers, BatchesPerHasher = batchesPerHasher, HashBatchFiles = batchFiles };
        var coordinator = Sys.ActorOf(RestoreCoordinator.Props(options, settings, _reporter.Ref, _restorers.Ref));
        coordinator.Tell(new StartRestore(), TestActor);
        return coordinator;
    }

    [Fact]
    public void Coordinator_makes_the_folder_before_sending_its_files_and_keeps_at_most_hashers_x_batches_per_hasher_in_flight()
    {
        var coordinator = Start(files: 50, hashers: 1, batchesPerHasher: 2, batchFiles: 5);

        var first = _restorers.ExpectMsg<RestoreFiles>();
        Assert.Equal(EntryType.Directory, Files.Lstat(Target + "/d").Type);
        Assert.Equal(["d/f000", "d/f001", "d/f002", "d/f003", "d/f004"], first.Files.Select(f => f.Path));
        Assert.Equal(Sha1Hex("file 0"), first.Files[0].Hash);
        var second = _restorers.ExpectMsg<RestoreFiles>();
        _restorers.ExpectNoMsg(Quiet);

        var paths = new List<string>(first.Files.Concat(second.Files).Select(f => f.Path));
        coordinator.Tell(new FilesRestored(first.BatchId, 5, 50, [], []), _restorers.Ref);
        for (var batches = 2; batches < 10; batches++)
        {
            var next = _restorers.ExpectMsg<RestoreFiles>();
            paths.AddRange(next.Files.Select(f => f.Path));
            coordinator.Tell(new FilesRestored(next.BatchId, next.Files.Count, 10L * next.Files.Count, [], []), _restorers.Ref);
        }
        _restorers.ExpectNoMsg(Quiet);
        Assert.False(HasMessages, "the restore must not finish while the second batch is out");
        coordinator.Tell(new FilesRestored(second.BatchId, 5, 50, [], []), _restorers.Ref);

        var finished = ExpectMsg<RestoreFinished>();
        Assert.Equal(ExitCode.Success, finished.Code);
        Assert.Equal(50, finished.Stats.Files);
        Assert.Equal(500, finished.Stats.Bytes);
        Assert.Equal(Enumerable.Range(0, 50).Select(i => $"d/f{i:D3}"), paths);
        var folder = Files.Lstat(Target + "/d");
        Assert.Equal(0x1E8u, folder.Mode);
        Assert.Equal(FolderTime, folder.Mtime);
        Assert.Equal(0x1EDu, Files.Lstat(Target).Mode);
    }

    /// <summary>A manifest of the root, folder "d" and files d/NAME: (name, inode, links); files of one inode share a hash.</summary>
    private IActorRef StartLinked((string Name, ulong Inode, ulong Links)[] files, int batchFiles, int hardlinkGroups = HardlinkGroups.DefaultCapacity)
    {
        Directory.CreateDirectory(Target);
        var path = Temp["linked.manifest"];
        var folder = new FileMeta(EntryType.Directory, 0x1E8, 0, 0, 4096, FolderTime, FolderTime, 1, 2, 0, 1);
        using (var writer = new ManifestWriter(path, new Dictionary<string, string> { ["hash"] = "sha1" }))
        {
            writer.Write(new ManifestEntry("", folder with { Mode = 0x1ED }, null, -1, null));
            writer.Write(new ManifestEntry("d", folder, null, -1, null));
            foreach (var (name, inode, links) in files)
            {
                var meta = new FileMeta(EntryType.File, 0x1A4, 0, 0, 10, FolderTime, FolderTime, 1, inode, 0, links);
                writer.Write(new ManifestEntry($"d/{name}", meta, Sha1Hex($"inode {inode}"), 0, null));
            }
            writer.Complete();
        }
        var options = new RestoreOptions(new StoreLayout(DataFolder, 1, HashKind.Sha1), path, null, Target, null, Overwrite: false);
        var coordinator = Sys.ActorOf(RestoreCoordinator.Props(options, Settings with { Hashers = 1, BatchesPerHasher = 2, HashBatchFiles = batchFiles },
            _reporter.Ref, _restorers.Ref, hardlinkGroups));
        coordinator.Tell(new StartRestore(), TestActor);
        return coordinator;
    }

    [Fact]
    public void A_later_hardlink_is_linked_to_the_first_once_its_batch_is_back_and_never_sent_to_the_restorers()
    {
        var coordinator = StartLinked([("a", 10, 2), ("b", 10, 2), ("c", 11, 1)], batchFiles: 10);

        var batch = _restorers.ExpectMsg<RestoreFiles>();
        Assert.Equal(["d/a", "d/c"], batch.Files.Select(f => f.Path));
        File.WriteAllText(Target + "/d/a", "restored!!"); // what the restorer would have made
        File.WriteAllText(Target + "/d/c", "restored!!");
        coordinator.Tell(new FilesRestored(batch.BatchId, 2, 20, [], []), _restorers.Ref);

        var finished = ExpectMsg<RestoreFinished>();
        Assert.Equal(ExitCode.Success, finished.Code);
        Assert.Equal(3, finished.Stats.Files);
        Assert.Equal(Files.Lstat(Target + "/d/a").Inode, Files.Lstat(Target + "/d/b").Inode);
        Assert.Equal(2ul, Files.Lstat(Target + "/d/a").LinkCount);
        _restorers.ExpectNoMsg(Quiet);
        _reporter.ExpectNoMsg(Quiet);
    }

    [Fact]
    public void When_the_first_of_a_group_is_not_restored_the_others_are_sent_as_copies_with_a_notice()
    {
        var coordinator = StartLinked([("a", 10, 2), ("b", 10, 2)], batchFiles: 10);

        var batch = _restorers.ExpectMsg<RestoreFiles>();
        Assert.Equal(["d/a"], batch.Files.Select(f => f.Path));
        coordinator.Tell(new FilesRestored(batch.BatchId, 0, 0, [new RestoreProblem("d/a", "damaged")], []), _restorers.Ref);

        Assert.Equal("d/a", _reporter.ExpectMsg<RestoreReported>().Problem!.Path);
        var notice = _reporter.ExpectMsg<RestoreReported>();
        Assert.True(notice.Notice);
        Assert.Equal("d/b", notice.Problem!.Path);
        Assert.Contains("restored as a copy, not as a hardlink of d/a", notice.Problem.Reason);
        var copy = _restorers.ExpectMsg<RestoreFiles>();
        Assert.Equal(["d/b"], copy.Files.Select(f => f.Path));
        coordinator.Tell(new FilesRestored(copy.BatchId, 1, 10, [], []), _restorers.Ref);
        Assert.Equal(ExitCode.FileErrors, ExpectMsg<RestoreFinished>().Code);
    }

    [Fact]
    public void With_the_group_table_full_further_groups_are_copied_under_one_notice()
    {
        var coordinator = StartLinked([("a", 10, 2), ("b", 11, 2), ("c", 12, 2), ("d", 11, 2), ("e", 12, 2), ("f", 10, 2)], batchFiles: 10, hardlinkGroups: 1);

        var notice = _reporter.ExpectMsg<RestoreReported>();
        Assert.True(notice.Notice);
        Assert.Equal("d/b", notice.Problem!.Path);
        Assert.Contains("table of hardlink groups is full (1 groups", notice.Problem.Reason);
        var batch = _restorers.ExpectMsg<RestoreFiles>();
        Assert.Equal(["d/a", "d/b", "d/c", "d/d", "d/e"], batch.Files.Select(f => f.Path));
        foreach (var f in batch.Files)
            File.WriteAllText(Target + "/" + f.Path, "restored!!");
        coordinator.Tell(new FilesRestored(batch.BatchId, 5, 50, [], []), _restorers.Ref);

        Assert.Equal(ExitCode.Success, ExpectMsg<RestoreFinished>().Code);
        Assert.Equal(Files.Lstat(Target + "/d/a").Inode, Files.Lstat(Target + "/d/f").Inode);
        _reporter.ExpectNoMsg(Quiet);
    }

    [Fact]
    public void A_problem_in_a_batch_reaches_the_reporter_and_ends_the_restore_with_exit_3()
    {
        var coordinator = Start(files: 3, batchFiles: 10);

        var batch = _restorers.ExpectMsg<RestoreFiles>();
        coordinator.Tell(new FilesRestored(batch.BatchId, 2, 20, [new RestoreProblem("d/f001", "damaged")], []), _restorers.Ref);

        var reported = _reporter.ExpectMsg<RestoreReported>();
        Assert.Equal(new RestoreProblem("d/f001", "damaged"), reported.Problem);
        Assert.False(reported.Notice);
        var finished = ExpectMsg<RestoreFinished>();
        Assert.Equal(ExitCode.FileErrors, finished.Code);
        Assert.Equal(1, finished.Stats.Problems);
        Assert.Equal(2, finished.Stats.Files);
    }
}
