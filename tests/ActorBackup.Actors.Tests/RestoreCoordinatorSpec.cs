using ActorBackup.Actors.Restore;
using ActorBackup.Actors.Tests.Support;
using ActorBackup.Core;
using ActorBackup.Core.Manifest;
using ActorBackup.Core.Store;
using ActorBackup.Posix;
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
