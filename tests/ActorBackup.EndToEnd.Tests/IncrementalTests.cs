using System.Text;
using ActorBackup.EndToEnd.Tests.Support;
using ActorBackup.Posix;
using ActorBackup.Testing;

namespace ActorBackup.EndToEnd.Tests;

/// <summary>Later runs against the same data folder: what is stored again, what is linked.</summary>
public sealed class IncrementalTests
{
    private static Scenario WithTree()
    {
        var s = new Scenario();
        s.Source
            .File("keep.txt", "unchanged\n")
            .File("docs/report.bin", Scenario.Bytes(70_000, seed: 10))
            .File("docs/change-me.txt", "version 1\n")
            .File("docs/delete-me.txt", "short-lived\n")
            .File("gone/inside.txt", "folder to delete\n")
            .File("owned", "owned by 1234\n").Chown("owned", 1234, 1234)
            .Symlink("link", "keep.txt");
        return s;
    }

    private static readonly string[] RegularFiles = ["keep.txt", "docs/report.bin", "docs/change-me.txt", "docs/delete-me.txt", "gone/inside.txt", "owned"];

    [Fact]
    public void A_second_run_of_an_unchanged_tree_stores_nothing_and_links_every_file_to_the_previous_inode()
    {
        using var s = WithTree();
        s.BackupSucceeds("s1");
        var entriesBefore = s.StoreEntries();

        var second = s.BackupSucceeds("s2", "--dostats");

        var entriesAfter = s.StoreEntries();
        Assert.Equal(entriesBefore.Count, entriesAfter.Count);
        Assert.Equal(
            entriesBefore.Select(e => (e.RelativePath, e.Meta.Inode)),
            entriesAfter.Select(e => (e.RelativePath, e.Meta.Inode)));
        foreach (var path in RegularFiles)
        {
            Expect.SameInode(s.InSnapshot("s1", path), s.InSnapshot("s2", path));
            Assert.Equal(3ul, Files.Lstat(s.InSnapshot("s2", path)).LinkCount); // entry + two snapshots
        }
        Assert.Contains("new content:      0 files, 0 B", second.StdoutLines);
        Assert.Empty(TreeComparer.Differences(s.SourceRoot, s.Snapshot("s2")));
    }

    [Fact]
    public void A_changed_file_gets_a_new_entry_while_the_earlier_snapshot_keeps_its_old_bytes()
    {
        using var s = WithTree();
        s.BackupSucceeds("s1");
        var entriesBefore = s.StoreEntries().Count;
        var changed = Encoding.UTF8.GetBytes("version 2, longer\n");
        PosixFs.Overwrite(s.Source.PathOf("docs/change-me.txt"), changed);
        s.Source.Mtime("docs/change-me.txt", 1_700_000_000, 1);

        s.BackupSucceeds("s2");

        Assert.Equal(entriesBefore + 1, s.StoreEntries().Count);
        Assert.Equal(changed, PosixFs.ReadBytes(s.InSnapshot("s2", "docs/change-me.txt")));
        Expect.SameInode(s.EntryPath(Scenario.Sha1(changed)), s.InSnapshot("s2", "docs/change-me.txt"));
        Expect.DifferentInode(s.InSnapshot("s1", "docs/change-me.txt"), s.InSnapshot("s2", "docs/change-me.txt"));
        Expect.Mtime(1_700_000_000, 1, s.InSnapshot("s2", "docs/change-me.txt"));
        Assert.Equal("version 1\n", Encoding.UTF8.GetString(PosixFs.ReadBytes(s.InSnapshot("s1", "docs/change-me.txt"))));
        Expect.SameInode(s.InSnapshot("s1", "docs/report.bin"), s.InSnapshot("s2", "docs/report.bin"));
    }

    [Fact]
    public void A_file_whose_owner_or_mode_changed_gets_a_new_entry_and_the_earlier_snapshot_keeps_the_old_owner_and_mode()
    {
        using var s = WithTree();
        s.BackupSucceeds("s1");
        s.Source.Chown("keep.txt", 1234, 1234).Chmod("docs/report.bin", 600);

        s.BackupSucceeds("s2");

        Expect.Owner(0, 0, s.InSnapshot("s1", "keep.txt"));
        Expect.Owner(1234, 1234, s.InSnapshot("s2", "keep.txt"));
        Expect.Mode(644, s.InSnapshot("s1", "docs/report.bin"));
        Expect.Mode(600, s.InSnapshot("s2", "docs/report.bin"));
        var keep = Scenario.Sha1(Encoding.UTF8.GetBytes("unchanged\n"));
        Expect.SameInode(s.EntryPath(keep, 1), s.InSnapshot("s2", "keep.txt"));
        Expect.SameInode(s.EntryPath(keep, 0), s.InSnapshot("s1", "keep.txt"));
        Assert.Equal("1", s.Manifest("s2").Entry("keep.txt").Suffix);
    }

    [Fact]
    public void A_deleted_file_and_folder_are_absent_from_the_next_snapshot_and_its_manifest_but_stay_in_the_earlier_one()
    {
        using var s = WithTree();
        s.BackupSucceeds("s1");
        PosixFs.RemoveTree(s.Source.PathOf("docs/delete-me.txt"));
        PosixFs.RemoveTree(s.Source.PathOf("gone"));

        s.BackupSucceeds("s2");

        Assert.False(PosixFs.Exists(s.InSnapshot("s2", "docs/delete-me.txt")));
        Assert.False(PosixFs.Exists(s.InSnapshot("s2", "gone")));
        Assert.Equal("short-lived\n", Encoding.UTF8.GetString(PosixFs.ReadBytes(s.InSnapshot("s1", "docs/delete-me.txt"))));
        Assert.True(PosixFs.Exists(s.InSnapshot("s1", "gone/inside.txt")));
        var manifest = s.Manifest("s2");
        Assert.False(manifest.Has("docs/delete-me.txt"));
        Assert.False(manifest.Has("gone"));
        Assert.False(manifest.Has("gone/inside.txt"));
        Assert.True(manifest.Has("docs/change-me.txt"));
    }

    [Fact]
    public void Ignorefileexists_fills_in_a_file_missing_from_an_existing_snapshot_from_the_store()
    {
        using var s = WithTree();
        s.BackupSucceeds("s1");
        var entriesBefore = s.StoreEntries();
        var keptInode = Files.Lstat(s.InSnapshot("s1", "keep.txt")).Inode;
        PosixFs.RemoveTree(s.InSnapshot("s1", "docs/report.bin"));

        s.BackupSucceeds("s1", "--ignorefileexists");

        Assert.Equal(Scenario.Bytes(70_000, seed: 10), PosixFs.ReadBytes(s.InSnapshot("s1", "docs/report.bin")));
        Expect.SameInode(s.EntryPath(Scenario.Sha1(Scenario.Bytes(70_000, seed: 10))), s.InSnapshot("s1", "docs/report.bin"));
        Assert.Equal(keptInode, Files.Lstat(s.InSnapshot("s1", "keep.txt")).Inode);
        Assert.Equal(entriesBefore.Count, s.StoreEntries().Count);
        Assert.Empty(TreeComparer.Differences(s.SourceRoot, s.Snapshot("s1")));
    }
}
