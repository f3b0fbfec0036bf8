using ActorBackup.Cluster.Tests.Support;
using ActorBackup.Testing;
using Xunit.Abstractions;
using static ActorBackup.Cluster.Tests.Support.TestCluster;

namespace ActorBackup.Cluster.Tests;

/// <summary>--hash=blake3 on a cluster: the hash travels by name to the hash workers and the storage node's receivers.</summary>
public sealed class Blake3ClusterTests(ITestOutputHelper output)
{
    [Fact]
    public void A_blake3_run_hashed_on_a_hasher_node_and_streamed_to_the_storage_node_names_every_entry_by_the_BLAKE3_of_its_bytes()
    {
        using var cluster = new TestCluster(output);
        var source = new TreeBuilder(cluster.Temp.Combine("src")).SmallFiles("bulk", files: 200, distinct: 150).Assorted("assorted");
        var run1 = new SnapshotRun(cluster.Folder("backups") + "/week1", cluster.Temp.Combine("data"));
        // The storage node cannot read the source: the hasher node hashes every file, and
        // the storage node's receivers hash the streamed bytes again as they store them.
        cluster.StartStorage(hiddenFolder: source.Root);
        var hasherAddress = cluster.AwaitUp(cluster.StartHasher());

        var run = cluster.RunCoordinator(BackupArgs(source.Root, run1.Snapshot, run1.Data, "--hash=blake3", "--dostats"));

        Expect.Success(run, cluster);
        Expect.NoDifferences(TreeComparer.Differences(source.Root, run1.Snapshot, socketsSkipped: false, fileMtimes: false, xattrs: false), "the snapshot differs from the source", cluster);
        Expect.NoDifferences(Snapshots.ManifestDisagreements(run1), "snapshot files are not the store entries their manifest lines name", cluster);
        var misnamed = Snapshots.StoreEntries(run1.Data)
            .Where(p => Convert.ToHexString(Blake3.Hasher.Hash(PosixFs.ReadBytes(run1.Data + "/" + p)).AsSpan()) != Path.GetFileName(p).Split('.')[0])
            .ToList();
        Expect.NoDifferences(misnamed, "store entries whose bytes do not hash (BLAKE3) to their name", cluster);
        Assert.NotEmpty(Snapshots.StoreEntries(run1.Data));
        Assert.Equal("actorbackup-store 1\nhash blake3\nlevels 1\n", File.ReadAllText(run1.Data + "/.actorbackup/format"));
        Assert.True(FilesHashedByNode(run).GetValueOrDefault(hasherAddress) > 0, $"the hasher node hashed nothing\n{run}");
    }
}
