using System.Text;
using ActorBackup.EndToEnd.Tests.Support;
using ActorBackup.Posix;
using ActorBackup.Testing;

namespace ActorBackup.EndToEnd.Tests;

/// <summary>What a first snapshot holds: bytes, hardlinks into the store, metadata.</summary>
public sealed class SnapshotContentTests
{
    [Fact]
    public void Snapshot_files_hold_the_source_bytes_and_are_hardlinks_of_the_store_entry_named_by_their_SHA1()
    {
        using var s = new Scenario();
        var files = new Dictionary<string, byte[]>
        {
            ["hello.txt"] = Encoding.UTF8.GetBytes("hello\n"),
            ["every-byte.bin"] = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray(),
            ["docs/big.bin"] = Scenario.Bytes((3 << 20) / 2 + 7, seed: 1), // more than one 1 MiB read buffer
            ["docs/deeper/note"] = Encoding.UTF8.GetBytes("a note"),
        };
        foreach (var (path, bytes) in files)
            s.Source.File(path, bytes);

        s.BackupSucceeds("s1");

        foreach (var (path, bytes) in files)
        {
            var copy = s.InSnapshot("s1", path);
            Assert.Equal(bytes, PosixFs.ReadBytes(copy));
            var entry = s.EntryPath(Scenario.Sha1(bytes));
            Expect.SameInode(entry, copy);
            Assert.Equal(bytes, PosixFs.ReadBytes(entry));
            Assert.Equal(2ul, Files.Lstat(copy).LinkCount); // the entry and this snapshot path
        }
        Assert.Equal(files.Count, s.StoreEntries().Count);
    }

    [Fact]
    public void Files_with_the_same_content_and_owner_share_one_inode_and_one_store_entry()
    {
        using var s = new Scenario();
        var same = Encoding.UTF8.GetBytes("same bytes in three places\n");
        s.Source.File("a", same).File("dir/b", same).File("dir/sub/c", same).File("other", "other bytes");

        s.BackupSucceeds("s1");

        var entry = s.EntryPath(Scenario.Sha1(same));
        foreach (var path in new[] { "a", "dir/b", "dir/sub/c" })
            Expect.SameInode(entry, s.InSnapshot("s1", path));
        Assert.Equal(4ul, Files.Lstat(entry).LinkCount); // the entry and three snapshot paths
        Expect.DifferentInode(entry, s.InSnapshot("s1", "other"));
        Assert.Equal(2, s.StoreEntries().Count);
    }

    [Fact]
    public void Empty_files_are_hardlinks_of_the_entry_named_by_the_SHA1_of_no_bytes()
    {
        using var s = new Scenario();
        s.Source.File("empty1", []).File("sub/empty2", []);

        s.BackupSucceeds("s1");

        var entry = s.EntryPath("DA39A3EE5E6B4B0D3255BFEF95601890AFD80709");
        foreach (var path in new[] { "empty1", "sub/empty2" })
        {
            Expect.SameInode(entry, s.InSnapshot("s1", path));
            Assert.Equal(0, Files.Lstat(s.InSnapshot("s1", path)).Size);
        }
        Assert.Equal(3ul, Files.Lstat(entry).LinkCount);
    }

    [Fact]
    public void Snapshot_files_keep_their_mode_owner_and_nanosecond_mtime()
    {
        using var s = new Scenario();
        s.Source
            .File("private", "p", mode: 600)
            .File("shared", "s").Chown("shared", 1234, 5678).Chmod("shared", 640)
            .File("setuid-tool", "t").Chown("setuid-tool", 1234, 1234).Chmod("setuid-tool", 4755)
            .File("read-only", "r", mode: 444)
            .Mtime("private", 1_600_000_000, 123_456_789)
            .Mtime("shared", 1_500_000_000, 1)
            .Mtime("setuid-tool", 1_400_000_000, 999_999_999)
            .Mtime("read-only", 0, 0);

        s.BackupSucceeds("s1");

        Expect.Mode(600, s.InSnapshot("s1", "private"));
        Expect.Owner(0, 0, s.InSnapshot("s1", "private"));
        Expect.Mtime(1_600_000_000, 123_456_789, s.InSnapshot("s1", "private"));

        Expect.Mode(640, s.InSnapshot("s1", "shared"));
        Expect.Owner(1234, 5678, s.InSnapshot("s1", "shared"));
        Expect.Mtime(1_500_000_000, 1, s.InSnapshot("s1", "shared"));

        Expect.Mode(4755, s.InSnapshot("s1", "setuid-tool"));
        Expect.Owner(1234, 1234, s.InSnapshot("s1", "setuid-tool"));
        Expect.Mtime(1_400_000_000, 999_999_999, s.InSnapshot("s1", "setuid-tool"));

        Expect.Mode(444, s.InSnapshot("s1", "read-only"));
        Expect.Mtime(0, 0, s.InSnapshot("s1", "read-only"));
    }

    [Fact]
    public void Directories_keep_their_mode_owner_and_nanosecond_mtime()
    {
        using var s = new Scenario();
        s.Source
            .Dir("team", mode: 2770).Chown("team", 1234, 4321).Chmod("team", 2770)
            .File("team/plan", "plan")
            .Dir("team/secret", mode: 700)
            .Dir("sticky", mode: 1777)
            .File("no-access/inside", "still backed up")
            .Chmod("no-access", 0)
            .Mtime("team/secret", 1_700_000_000, 5)
            .Mtime("team", 1_700_000_001, 987_654_321)
            .Mtime("sticky", 1_600_000_000, 500_000_000);

        s.BackupSucceeds("s1");

        Expect.Mode(2770, s.InSnapshot("s1", "team"));
        Expect.Owner(1234, 4321, s.InSnapshot("s1", "team"));
        Expect.Mtime(1_700_000_001, 987_654_321, s.InSnapshot("s1", "team"));
        Expect.Mode(700, s.InSnapshot("s1", "team/secret"));
        Expect.Mtime(1_700_000_000, 5, s.InSnapshot("s1", "team/secret"));
        Expect.Mode(1777, s.InSnapshot("s1", "sticky"));
        Expect.Mtime(1_600_000_000, 500_000_000, s.InSnapshot("s1", "sticky"));
        Expect.Mode(0, s.InSnapshot("s1", "no-access"));
        Assert.Equal("still backed up", Encoding.UTF8.GetString(PosixFs.ReadBytes(s.InSnapshot("s1", "no-access/inside"))));
    }

    [Fact]
    public void An_empty_root_folder_gives_an_empty_snapshot_and_a_manifest_with_only_the_root()
    {
        using var s = new Scenario();

        s.BackupSucceeds("s1");

        Assert.Empty(PosixFs.ListNames(s.Snapshot("s1")));
        var manifest = s.Manifest("s1");
        Assert.Equal("", Assert.Single(manifest.Entries).Path);
        Assert.Equal("#end 1", manifest.Lines[^1]);
        Assert.Empty(s.StoreEntries());
    }

    [Fact]
    public void Snapshot_root_gets_the_source_roots_mode_owner_and_mtime()
    {
        using var s = new Scenario();
        s.Source.File("f", "x").Chown("", 1234, 1234).Chmod("", 750).Mtime("", 1_650_000_000, 42);

        s.BackupSucceeds("s1");

        Expect.Mode(750, s.Snapshot("s1"));
        Expect.Owner(1234, 1234, s.Snapshot("s1"));
        Expect.Mtime(1_650_000_000, 42, s.Snapshot("s1"));
    }

    [Fact]
    public void A_successful_run_leaves_no_partial_folder_no_partial_manifest_and_an_empty_temp_folder()
    {
        using var s = new Scenario();
        s.Source.File("a", "a").File("b/c", Scenario.Bytes(100_000, seed: 2));

        s.BackupSucceeds("s1");

        Assert.Equal(["s1"], PosixFs.ListNames(s.Backups));
        Assert.Empty(PosixFs.TempFiles(s.Data));
        Assert.Equal(["s1.manifest", "s1.summary"], PosixFs.ListNames(s.Data + "/.actorbackup/snapshots"));
    }

    [Fact]
    public void Snapshot_matches_the_source_entry_for_entry()
    {
        using var s = new Scenario();
        s.Source
            .File("a.txt", "alpha").Chown("a.txt", 1234, 1234)
            .File("dir/b.bin", Scenario.Bytes(5000, seed: 3), mode: 755)
            .File("dir/empty", [])
            .Symlink("dir/to-a", "../a.txt")
            .Fifo("dir/pipe", mode: 600)
            .Dir("dir/nested/deeper", mode: 711)
            .Mtime("dir/nested/deeper", 1_000_000_000, 1)
            .Mtime("dir/nested", 1_000_000_000, 2)
            .Mtime("dir", 1_000_000_000, 3);

        s.BackupSucceeds("s1", "--dostats");

        Assert.Empty(TreeComparer.Differences(s.SourceRoot, s.Snapshot("s1")));
    }
}
