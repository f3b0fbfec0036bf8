using ActorBackup.Cluster.Tests.Support;
using ActorBackup.Testing;
using Xunit.Abstractions;
using static ActorBackup.Cluster.Tests.Support.TestCluster;

namespace ActorBackup.Cluster.Tests;

/// <summary>Hasher nodes that do not see the source, or not all of it: the run still backs up every file.</summary>
public sealed class BlindHasherTests(ITestOutputHelper output)
{
    [Fact]
    public void A_blind_hasher_node_takes_no_work_is_warned_about_once_and_the_snapshot_is_complete()
    {
        using var cluster = new TestCluster(output);
        var (source, snapshot) = SmallTree(cluster);
        var empty = cluster.Folder("empty");
        cluster.StartStorage();
        // Its path map points at an empty folder: the mistake of a node whose mount is missing.
        var blind = cluster.StartHasher($"actorbackup.cluster.path-map {{ \"{source.Root}\" = \"{empty}\" }}");
        var seeing = cluster.StartHasher();
        var blindAddress = cluster.AwaitUp(blind);
        var seeingAddress = cluster.AwaitUp(seeing);

        var run = cluster.RunCoordinator(BackupArgs(source.Root, snapshot.Snapshot, snapshot.Data, "--dostats"));

        ExpectComplete(cluster, source.Root, snapshot, run);
        var byNode = FilesHashedByNode(run);
        Assert.True(byNode.GetValueOrDefault(blindAddress) == 0, $"the blind node {blindAddress} hashed files\n{run}");
        Assert.True(byNode.GetValueOrDefault(seeingAddress) > 0, $"the hasher node {seeingAddress} that sees the source hashed nothing\n{run}");
        Assert.Equal(Snapshots.RegularFileCount(source.Root), byNode.Values.Sum());
        var warning = Assert.Single(run.StdoutLines, l => l.Contains(" akka-warning ") && l.Contains(blindAddress));
        Assert.Contains($"hasher node {blindAddress} is skipped for this run: it does not see the source (it looked at {empty}: ", warning);
        // It said so at once: the run did not wait hasher-wait for its workers.
        Assert.DoesNotContain(run.StdoutLines, l => l.Contains("within hasher-wait"));
        var own = Assert.Single(blind.StdoutLines, l => l.Contains("does not see the source"));
        Assert.Contains($"it looked at {empty}: ", own);
        Assert.Contains("path-map", own);
        Assert.DoesNotContain(blind.StdoutLines, IsStatsWithFilesHashed);
    }

    [Fact]
    public void Files_a_hasher_node_cannot_read_are_read_on_the_coordinators_node_and_the_run_succeeds()
    {
        using var cluster = new TestCluster(output);
        var (source, snapshot) = SmallTree(cluster);
        // It sees the root and the entries in it, but one folder deeper down is covered by an
        // empty tmpfs in its mount namespace: a stale or partial mount.
        var hidden = source.PathOf("bulk/d001");
        cluster.StartStorage();
        var hasher = cluster.StartHasher(hiddenFolder: hidden);
        var hasherAddress = cluster.AwaitUp(hasher);
        Assert.Empty(PosixFs.ListNames($"/proc/{hasher.Pid}/root{hidden}"));
        var hiddenFiles = PosixFs.ListNames(hidden).Count;
        Assert.Equal(200, hiddenFiles);

        // With walk-on-hashers, its listing of bulk shows the tmpfs as bulk/d001: the coordinator
        // must notice that this is not the folder it sees, and list bulk itself.
        var run = cluster.RunCoordinator(BackupArgs(source.Root, snapshot.Snapshot, snapshot.Data, "--dostats"), extra: WalkOnHashers);

        ExpectComplete(cluster, source.Root, snapshot, run);
        Assert.True(FoldersListedByNode(run).GetValueOrDefault(hasherAddress) > 0, $"the hasher node should have listed folders\n{run}");
        // coordinator-hashes = auto: the coordinator's node hashed only what the hasher node could not read.
        var byNode = FilesHashedByNode(run);
        Assert.True(byNode.GetValueOrDefault(CoordinatorAddressOf(run)) == hiddenFiles, $"the coordinator's node should have read the {hiddenFiles} hidden files again, and only them\n{run}");
        Assert.True(byNode.GetValueOrDefault(hasherAddress) == Snapshots.RegularFileCount(source.Root) - hiddenFiles, $"the hasher node should have hashed every other file\n{run}");
        var warning = Assert.Single(run.StdoutLines, l => l.Contains($"hasher node {hasherAddress} could not read "));
        Assert.Contains("vanished before it could be read", warning);
    }

    /// <summary>A source of 600 small files (in folders of 200) and assorted entries, and the folders of its first snapshot.</summary>
    private static (TreeBuilder Source, SnapshotRun Run) SmallTree(TestCluster cluster) =>
        (new TreeBuilder(cluster.Temp.Combine("src")).SmallFiles("bulk", files: 600, distinct: 400).Assorted("assorted"),
         new SnapshotRun(cluster.Folder("backups") + "/week1", cluster.Temp.Combine("data")));

    /// <summary>Exit 0, no problem reported, and the snapshot is the source: every file there with its bytes.</summary>
    private static void ExpectComplete(TestCluster cluster, string source, SnapshotRun snapshot, ProcessResult run)
    {
        Expect.Success(run, cluster);
        Expect.NoDifferences(TreeComparer.Differences(source, snapshot.Snapshot, socketsSkipped: false, fileMtimes: false, xattrs: false), "the snapshot differs from the source", cluster);
        Expect.NoDifferences(Snapshots.ManifestDisagreements(snapshot), "snapshot files are not the store entries their manifest lines name", cluster);
    }
}
