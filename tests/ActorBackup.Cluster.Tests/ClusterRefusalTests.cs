using ActorBackup.Cluster.Tests.Support;
using ActorBackup.Testing;
using Xunit.Abstractions;
using static ActorBackup.Cluster.Tests.Support.TestCluster;

namespace ActorBackup.Cluster.Tests;

/// <summary>Cluster runs that must not start: one clear line, a documented exit code, nothing touched.</summary>
public sealed class ClusterRefusalTests(ITestOutputHelper output)
{
    [Fact]
    public void Without_a_reachable_storage_node_the_coordinator_exits_12_within_seconds_and_creates_nothing()
    {
        using var cluster = new TestCluster(output);
        var source = new TreeBuilder(cluster.Temp.Combine("src")).File("a.txt", "a\n");
        var backups = cluster.Temp.Combine("backups");
        var data = cluster.Temp.Combine("data");
        var nobody = $"akka.tcp://actorbackup@127.0.0.1:{Loopback.FreePort()}";

        var run = cluster.RunCoordinator(BackupArgs(source.Root, backups + "/week1", data),
            extra: "actorbackup.cluster.join-timeout = 3s", seed: nobody);

        Expect.Refusal(run, 12, $"no storage node reached within 3 s: nothing listens at {nobody} (connection refused)", cluster);
        Assert.True(run.Elapsed < TimeSpan.FromSeconds(10), $"a 3 s join timeout should end the run within seconds, took {run.Elapsed.TotalSeconds:F1} s");
        Assert.False(PosixFs.Exists(backups));
        Assert.False(PosixFs.Exists(data));
    }

    [Fact]
    public void Backup_and_data_folders_outside_the_storage_nodes_allowed_folders_are_refused_and_nothing_is_created()
    {
        using var cluster = new TestCluster(output);
        var world = cluster.Folder("world");
        var source = new TreeBuilder(world + "/src").File("a.txt", "a\n").File("b/c.txt", "c\n");
        var allowed = cluster.Folder("world/allowed");
        var outside = cluster.Folder("world/outside");
        var lookalike = cluster.Folder("world/allowed-not"); // shares the allowed folder's name as a string prefix
        var storage = cluster.StartStorage($"actorbackup.cluster.storage.allowed-folders = [\"{allowed}\"]");
        // The same storage node does serve a request inside its allowed folder.
        Expect.Success(cluster.RunCoordinator(BackupArgs(source.Root, allowed + "/week0", allowed + "/data")), cluster);
        Assert.Empty(TreeComparer.Differences(source.Root, allowed + "/week0", socketsSkipped: false, xattrs: false));
        var before = TreeState.Capture(world);

        // The refusals at once, each from a coordinator of its own.
        var coordinators = new[]
        {
            (Backup: outside + "/week1", Data: allowed + "/data", Named: "backup folder " + outside + "/week1"),
            (Backup: allowed + "/week1", Data: outside + "/data", Named: "data folder " + outside + "/data"),
            (Backup: lookalike + "/week1", Data: allowed + "/data", Named: "backup folder " + lookalike + "/week1"),
            (Backup: allowed + "/week1", Data: lookalike + "/data", Named: "data folder " + lookalike + "/data"),
        }.Select(c => (c.Named, Process: cluster.StartCoordinator(BackupArgs(source.Root, c.Backup, c.Data)))).ToList();

        foreach (var (named, process) in coordinators)
        {
            var run = process.WaitForExit(RunTimeout);
            Expect.Refusal(run, 2, $"{named} is outside the storage node's allowed folders", cluster);
        }
        Assert.Equal(before, TreeState.Capture(world));
        Assert.False(storage.HasExited, $"the storage node should still run\n{storage.Describe()}");
    }

    [Fact]
    public void A_backup_or_data_folder_reached_through_a_symlink_that_leaves_the_allowed_folder_is_refused_and_nothing_is_created_outside()
    {
        using var cluster = new TestCluster(output);
        var world = cluster.Folder("world");
        var source = new TreeBuilder(world + "/src").File("a.txt", "a\n");
        var allowed = cluster.Folder("world/allowed");
        var outside = cluster.Folder("world/outside");
        // A symlink inside the allowed folder, as any snapshot there holds if a user's home had one.
        new TreeBuilder(allowed).Symlink("escape", outside);
        cluster.StartStorage($"actorbackup.cluster.storage.allowed-folders = [\"{allowed}\"]");
        var before = TreeState.Capture(outside);

        var throughBackup = cluster.RunCoordinator(BackupArgs(source.Root, allowed + "/escape/week1", allowed + "/data"));
        var throughData = cluster.RunCoordinator(BackupArgs(source.Root, allowed + "/week1", allowed + "/escape/data"));

        Assert.True(before.SequenceEqual(TreeState.Capture(outside)),
            $"the storage node wrote outside its allowed folder {allowed}, into {outside}:\n{string.Join('\n', TreeState.Capture(outside))}\n{throughBackup}\n{throughData}");
        Expect.Refusal(throughBackup, 2, "allowed folders", cluster);
        Expect.Refusal(throughData, 2, "allowed folders", cluster);
    }
}
