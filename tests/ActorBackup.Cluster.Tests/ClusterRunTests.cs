using Mono.Unix.Native;
using ActorBackup.Cluster.Tests.Support;
using ActorBackup.Testing;
using Xunit.Abstractions;
using static ActorBackup.Cluster.Tests.Support.TestCluster;

namespace ActorBackup.Cluster.Tests;

/// <summary>Whole runs on a cluster of OS processes: what they make, and who did the work.</summary>
public sealed class ClusterRunTests(ITestOutputHelper output)
{
    [Fact]
    public void A_run_on_a_storage_node_and_two_hasher_nodes_makes_the_snapshot_a_single_node_run_makes_and_the_hasher_nodes_share_the_hashing()
    {
        using var cluster = new TestCluster(output);
        var source = new TreeBuilder(cluster.Temp.Combine("src"))
            .SmallFiles("bulk", files: 2500, distinct: 1500)
            .Assorted("assorted");
        SourceTrees.Corpus(source.PathOf("homes"));
        cluster.Note("source tree made");
        var backups = cluster.Folder("backups");
        var reference = new SnapshotRun(backups + "/single", cluster.Temp.Combine("single-data"));
        var clustered = new SnapshotRun(backups + "/clustered", cluster.Temp.Combine("data"));

        cluster.StartStorage();
        var hashers = new[] { cluster.StartHasher(), cluster.StartHasher() };
        Expect.Success(cluster.RunSingleNode(source.Root, reference.Snapshot, reference.Data)); // while the hashers join
        var hasherAddresses = hashers.Select(cluster.AwaitUp).ToList();

        var run = cluster.RunCoordinator(BackupArgs(source.Root, clustered.Snapshot, clustered.Data, "--dostats"), extra: WalkOnHashers);

        Expect.Success(run, cluster);
        Expect.NoDifferences(TreeComparer.Differences(source.Root, clustered.Snapshot, socketsSkipped: false, fileMtimes: false, xattrs: false), "the snapshot differs from the source", cluster);
        Expect.NoDifferences(Snapshots.Differences(reference, clustered), "the cluster run differs from the single-node run", cluster);
        cluster.Note("compared with the single-node run");
        Expect.NoDifferences(Snapshots.ManifestDisagreements(clustered), "snapshot files are not the store entries their manifest lines name", cluster);
        var byNode = FilesHashedByNode(run);
        foreach (var address in hasherAddresses)
            Assert.True(byNode.GetValueOrDefault(address) > 0, $"hasher node {address} hashed nothing\n{run}");
        // coordinator-hashes = auto: while hasher nodes serve the run, the coordinator's node only walks and coordinates.
        Assert.True(byNode.GetValueOrDefault(CoordinatorAddressOf(run)) == 0, $"the coordinator's node should have left the hashing to the hasher nodes\n{run}");
        Assert.True(Snapshots.RegularFileCount(source.Root) == byNode.Values.Sum(),
            $"every regular file should be hashed exactly once over all nodes ({Snapshots.RegularFileCount(source.Root)} files)\n{run}");
        // walk-on-hashers: the hasher nodes list folders too, each folder once.
        var listed = FoldersListedByNode(run);
        foreach (var address in hasherAddresses)
            Assert.True(listed.GetValueOrDefault(address) > 0, $"hasher node {address} listed no folder\n{run}");
        var folders = Snapshots.FolderCount(source.Root);
        Assert.True(folders == listed.Values.Sum(), $"every folder should be listed exactly once over all nodes ({folders} folders)\n{run}");
    }

    [Fact]
    public void A_storage_node_that_cannot_see_the_source_gets_every_new_content_streamed_and_stores_it_under_its_hash()
    {
        using var cluster = new TestCluster(output);
        var (source, run1) = SmallTree(cluster);

        // source-visible is off by default; an empty tmpfs over the source, in the storage
        // node's own mount namespace, makes sure it cannot read the files itself.
        var storage = cluster.StartStorage(hiddenFolder: source.Root);
        Assert.Empty(PosixFs.ListNames($"/proc/{storage.Pid}/root{source.Root}"));
        Assert.NotEmpty(PosixFs.ListNames(source.Root));

        var run = cluster.RunCoordinator(BackupArgs(source.Root, run1.Snapshot, run1.Data, "--dostats"));

        var keys = ExpectEveryContentStoredOnce(cluster, source.Root, run1, run);
        Assert.Contains(run.StdoutLines, l => l.StartsWith($"new content:      {keys} files, ", StringComparison.Ordinal));
    }

    [Fact]
    public void Hash_workers_that_see_the_data_folder_write_new_content_into_it_so_nothing_is_streamed_or_copied_by_the_storage_node()
    {
        using var cluster = new TestCluster(output);
        var (source, run1) = SmallTree(cluster);

        // The storage node cannot read the source, so every new content must come from the
        // workers' temp files (or be streamed, which must not happen here).
        const string storeVisible = "actorbackup.cluster.store-visible = on";
        cluster.StartStorage(hiddenFolder: source.Root);
        var hasher = cluster.StartHasher(storeVisible);
        var hasherAddress = cluster.AwaitUp(hasher);

        var run = cluster.RunCoordinator(BackupArgs(source.Root, run1.Snapshot, run1.Data, "--dostats"), storeVisible);

        var keys = ExpectEveryContentStoredOnce(cluster, source.Root, run1, run);
        Assert.Contains("content streamed to the storage node: 0 files, 0 bytes", run.StdoutLines);
        var written = run.StdoutLines.Single(l => l.StartsWith("new content written into the store by hash workers", StringComparison.Ordinal));
        Assert.True(long.Parse(written.Split(": ")[1].Split(' ')[0]) >= keys, $"every one of the {keys} entries should come from a worker's temp file\n{run}");
        Assert.True(FilesHashedByNode(run).GetValueOrDefault(hasherAddress) > 0, $"the hasher node hashed nothing\n{run}");
        // Temp files the run did not commit (duplicates of content met twice) are removed.
        var temp = run1.Data + "/.actorbackup/tmp";
        Assert.DoesNotContain(PosixFs.Walk(temp), p => PosixFs.TypeOf(PosixFs.Lstat(temp + "/" + p)) == FilePermissions.S_IFREG);
    }

    /// <summary>A source of 600 small files (400 contents) and assorted entries, and the folders of its first snapshot.</summary>
    private static (TreeBuilder Source, SnapshotRun Run) SmallTree(TestCluster cluster) =>
        (new TreeBuilder(cluster.Temp.Combine("src")).SmallFiles("bulk", files: 600, distinct: 400).Assorted("assorted"),
         new SnapshotRun(cluster.Folder("backups") + "/week1", cluster.Temp.Combine("data")));

    /// <summary>
    /// The run succeeded, its snapshot is the source, each store entry holds the bytes its name
    /// says and is what its manifest lines name, one entry per content key. Returns the keys.
    /// </summary>
    private static int ExpectEveryContentStoredOnce(TestCluster cluster, string source, SnapshotRun snapshot, ProcessResult run)
    {
        Expect.Success(run, cluster);
        Expect.NoDifferences(TreeComparer.Differences(source, snapshot.Snapshot, socketsSkipped: false, fileMtimes: false, xattrs: false), "the snapshot differs from the source", cluster);
        Expect.NoDifferences(Snapshots.EntriesNotMatchingTheirName(snapshot.Data), "store entries whose bytes do not hash to their name", cluster);
        Expect.NoDifferences(Snapshots.ManifestDisagreements(snapshot), "snapshot files are not the store entries their manifest lines name", cluster);
        var keys = Snapshots.ContentKeys(source).Count;
        Assert.Equal(keys, Snapshots.StoreEntries(snapshot.Data).Count);
        return keys;
    }
}
