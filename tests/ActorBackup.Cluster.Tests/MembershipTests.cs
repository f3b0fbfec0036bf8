using ActorBackup.Cluster.Tests.Support;
using ActorBackup.Testing;
using Xunit.Abstractions;
using static ActorBackup.Cluster.Tests.Support.TestCluster;

namespace ActorBackup.Cluster.Tests;

/// <summary>Nodes that crash, join or leave while the cluster works.</summary>
public sealed class MembershipTests(ITestOutputHelper output)
{
    // Hashing gigabytes of sparse zeros keeps the hash workers busy for seconds (longer than
    // a node takes to notice its first batch or to start and join, at any load), while
    // little is stored: 4.7 GiB for the six workers of the crash test, 7.8 GiB for the one
    // worker of the join test.
    private const long ZeroFileSize = 4 << 20;
    private const int ZeroFilesWhileKilled = 1200;
    private const int ZeroFilesWhileJoining = 2000;

    private static readonly TimeSpan WorkTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public void A_hasher_node_killed_mid_run_only_delays_the_run_and_the_snapshot_still_matches_a_single_node_run()
    {
        using var cluster = new TestCluster(output);
        var source = new TreeBuilder(cluster.Temp.Combine("src"))
            .SmallFiles("bulk", files: 1000, distinct: 700)
            .ZeroFiles("zeros", ZeroFilesWhileKilled, ZeroFileSize);
        cluster.Note("source tree made");
        var backups = cluster.Folder("backups");
        var reference = new SnapshotRun(backups + "/single", cluster.Temp.Combine("single-data"));
        var clustered = new SnapshotRun(backups + "/clustered", cluster.Temp.Combine("data"));
        cluster.StartStorage();
        var victim = cluster.StartHasher("actorbackup.cluster.stats-interval = 200ms"); // killed soon after its first batch
        var survivor = cluster.StartHasher();
        Expect.Success(cluster.RunSingleNode(source.Root, reference.Snapshot, reference.Data)); // while the hashers join
        var victimAddress = cluster.AwaitUp(victim);
        cluster.AwaitUp(survivor);

        var coordinator = cluster.StartCoordinator(BackupArgs(source.Root, clustered.Snapshot, clustered.Data, "--dostats"), extra: WalkOnHashers);
        victim.WaitForLine(IsStatsWithFilesHashed, WorkTimeout, "a stats line with files hashed");
        Assert.False(coordinator.HasExited, $"the run ended before the hasher node could be killed; it needs a bigger tree\n{cluster.DescribeAll()}");
        victim.Kill();
        cluster.Note($"{victim.Name} killed (kill -9)");
        var killed = System.Diagnostics.Stopwatch.StartNew();
        // Its batches return once failure detection marks it unreachable, not after its removal.
        coordinator.WaitForLine(l => l.Contains($"hasher node {victimAddress} is unreachable; its ", StringComparison.Ordinal) && l.Contains(" queued again"),
            StartTimeout, "the killed node's batches queued again");
        cluster.Note($"the killed node's batches were queued again {killed.Elapsed.TotalSeconds:F1} s after the kill");
        var run = cluster.Finished(coordinator.WaitForExit(RunTimeout));

        Expect.Success(run, cluster);
        Expect.NoDifferences(Snapshots.Differences(reference, clustered), "the cluster run differs from the single-node run", cluster);
        cluster.Note("compared with the single-node run");
        Expect.NoDifferences(TreeComparer.Differences(source.Root, clustered.Snapshot, socketsSkipped: false, fileMtimes: false, xattrs: false), "the snapshot differs from the source", cluster);
        Assert.Equal(Snapshots.RegularFileCount(source.Root), FilesHashedByNode(run).Values.Sum()); // no batch lost, none counted twice
        Assert.Equal(Snapshots.FolderCount(source.Root), FoldersListedByNode(run).Values.Sum()); // no folder listing lost, none given twice
        // It was a crash, not a leave: the storage node saw the node become unreachable.
        cluster.Storage!.WaitForLine(l => l.Contains($" member-unreachable address=akka.tcp://actorbackup@{victimAddress} "),
            TimeSpan.FromSeconds(20), $"member-unreachable of the killed node {victimAddress}");
    }

    [Fact]
    public void A_hasher_node_that_joins_mid_run_takes_work()
    {
        using var cluster = new TestCluster(output);
        var source = new TreeBuilder(cluster.Temp.Combine("src"))
            .SmallFiles("bulk", files: 200, distinct: 150)
            .ZeroFiles("zeros", ZeroFilesWhileJoining, ZeroFileSize);
        var snapshot = cluster.Folder("backups") + "/week1";
        cluster.StartStorage();
        // One hash worker on the coordinator's node, and no hasher node yet: a slow run.
        var coordinator = cluster.StartCoordinator(BackupArgs(source.Root, snapshot, cluster.Temp.Combine("data"), "--doprogress=20"),
            extra: "actorbackup.hashers = 1");
        coordinator.WaitForLine(l => l.StartsWith("progress: ", StringComparison.Ordinal), WorkTimeout, "its first progress line");

        cluster.Note("the coordinator reports progress");
        var latecomer = cluster.StartHasher();
        var address = cluster.AwaitUp(latecomer);
        Assert.False(coordinator.HasExited, $"the run ended before the late hasher node was Up; it needs a bigger tree\n{cluster.DescribeAll()}");
        var run = cluster.Finished(coordinator.WaitForExit(RunTimeout));

        Expect.Success(run, cluster);
        Assert.True(FilesHashedByNode(run).GetValueOrDefault(address) > 0, $"the hasher node {address} that joined mid-run hashed nothing\n{cluster.DescribeAll()}");
        latecomer.WaitForLine(IsStatsWithFilesHashed, TimeSpan.FromSeconds(10), "a stats line with files hashed");
        Expect.NoDifferences(TreeComparer.Differences(source.Root, snapshot, socketsSkipped: false, fileMtimes: false, xattrs: false), "the snapshot differs from the source", cluster);
    }

    [Fact]
    public void The_coordinator_leaves_and_exits_the_nodes_stay_up_and_a_second_week_stores_nothing_new()
    {
        using var cluster = new TestCluster(output);
        var source = new TreeBuilder(cluster.Temp.Combine("src"))
            .SmallFiles("bulk", files: 400, distinct: 300)
            .Assorted("assorted");
        var backups = cluster.Folder("backups");
        var data = cluster.Temp.Combine("data");
        var storage = cluster.StartStorage();
        var hashers = new[] { cluster.StartHasher(), cluster.StartHasher() };
        foreach (var hasher in hashers)
            cluster.AwaitUp(hasher);

        var week1 = cluster.RunCoordinator(BackupArgs(source.Root, backups + "/week1", data));

        Expect.Success(week1, cluster);
        Assert.False(Directory.Exists($"/proc/{week1.Pid}"), $"the coordinator (pid {week1.Pid}) should be gone");
        var coordinator = $"akka.tcp://actorbackup@{CoordinatorAddressOf(week1)} ";
        var removed = storage.WaitForLine(l => l.Contains(" member-removed address=" + coordinator), TimeSpan.FromSeconds(10), "member-removed of the coordinator");
        // Left gracefully: Exiting before anything else. Under load the storage may still
        // mark the exited coordinator unreachable for the milliseconds before the removal's
        // gossip arrives (seen once with every test project on 2 cores); a coordinator that
        // vanished mid-run would show unreachable without having exited first.
        var lines = storage.StdoutLines.ToList();
        var exited = lines.FindIndex(l => l.Contains(" member-exited address=" + coordinator));
        var unreachable = lines.FindIndex(l => l.Contains(" member-unreachable address=" + coordinator));
        Assert.True(exited >= 0, $"the storage never saw the coordinator exit\n{storage.Describe()}");
        Assert.True(unreachable < 0 || unreachable > exited, $"the coordinator was unreachable before it exited\n{storage.Describe()}");
        Assert.DoesNotContain(storage.StdoutLines, l => l.Contains(" member-downed "));
        Assert.All(hashers.Append(storage), node => Assert.False(node.HasExited, $"{node.Name} should still run\n{node.Describe()}"));
        var afterRemoval = storage.StdoutLines.ToList().IndexOf(removed) + 1;
        storage.WaitForLine(l => l.Contains(" stats members=") && l.Contains("hasher:Up=2") && l.Contains("storage:Up=1") && !l.Contains("coordinator:"),
            TimeSpan.FromSeconds(10), "a stats line with both hasher nodes and itself Up, and no coordinator", skip: afterRemoval);
        var entriesAfterWeek1 = EntriesWithInodes(data);

        var week2 = cluster.RunCoordinator(BackupArgs(source.Root, backups + "/week2", data, "--dostats"));

        Expect.Success(week2, cluster);
        Assert.Contains("new content:      0 files, 0 B", week2.StdoutLines);
        Assert.Equal(entriesAfterWeek1, EntriesWithInodes(data));
        Expect.NoDifferences(TreeComparer.Differences(source.Root, backups + "/week2", socketsSkipped: false, fileMtimes: false, xattrs: false), "week 2 differs from the source", cluster);
        var notShared = PosixFs.Walk(backups + "/week2")
            .Where(p => PosixFs.TypeOf(PosixFs.Lstat($"{backups}/week2/{p}")) == Mono.Unix.Native.FilePermissions.S_IFREG)
            .Where(p => PosixFs.Lstat($"{backups}/week1/{p}").st_ino != PosixFs.Lstat($"{backups}/week2/{p}").st_ino)
            .ToList();
        Assert.True(notShared.Count == 0, $"week 2 files not linked to week 1's inode: {string.Join(", ", notShared.Take(10))}");
        Assert.All(hashers.Append(storage), node => Assert.False(node.HasExited, $"{node.Name} should still run\n{node.Describe()}"));
    }

    private static List<string> EntriesWithInodes(string data) =>
        Snapshots.StoreEntries(data).Select(p => $"{p} ino={PosixFs.Lstat(data + "/" + p).st_ino}").Order(StringComparer.Ordinal).ToList();
}
