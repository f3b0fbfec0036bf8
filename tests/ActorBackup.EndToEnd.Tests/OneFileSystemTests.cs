using ActorBackup.EndToEnd.Tests.Support;
using ActorBackup.Testing;

namespace ActorBackup.EndToEnd.Tests;

/// <summary>
/// --one-file-system keeps the walk on the root folder's file system, like rsync -x: a tmpfs
/// mounted inside the source is in the snapshot as its empty mount point, with the mount
/// point's owner, mode and mtime; without the option it is backed up like any folder.
/// </summary>
public sealed class OneFileSystemTests
{
    [Fact]
    public void One_file_system_keeps_a_mount_point_empty_and_reads_nothing_below_it()
    {
        using var s = new Scenario();
        s.Source.File("home/alice/notes.txt", "on the root's file system\n");
        using var mount = new TmpfsMount(s.Source.PathOf("home/mnt"));
        s.Source.File("home/mnt/inside.txt", "on a tmpfs\n").File("home/mnt/deeper/more.bin", Scenario.Bytes(3_000, seed: 71))
            .Chown("home/mnt", 1234, 4321).Chmod("home/mnt", 750).Mtime("home/mnt", 1_700_000_000, 123_456_789)
            .Mtime("home", 1_700_000_100, 5);

        var x = s.Backup("x", "--one-file-system", "--dostats", "-v");

        Expect.ExitCode(x, 0);
        var notice = Assert.Single(x.StderrLines);
        Assert.Equal($"actorbackup: notice: {s.Source.PathOf("home/mnt")}: on another file system: in the snapshot as an empty folder (--one-file-system)", notice);
        Assert.Contains("files:            1", x.StdoutLines);
        Assert.Empty(PosixFs.ListNames(s.InSnapshot("x", "home/mnt")));
        Expect.Owner(1234, 4321, s.InSnapshot("x", "home/mnt"));
        Expect.Mode(750, s.InSnapshot("x", "home/mnt"));
        Expect.Mtime(1_700_000_000, 123_456_789, s.InSnapshot("x", "home/mnt"));
        Expect.Mtime(1_700_000_100, 5, s.InSnapshot("x", "home"));
        Assert.Equal("on the root's file system\n"u8.ToArray(), PosixFs.ReadBytes(s.InSnapshot("x", "home/alice/notes.txt")));
        var manifest = s.Manifest("x");
        Assert.Equal('d', manifest.Entry("home/mnt").Type);
        Assert.DoesNotContain(manifest.Entries, e => e.Path.StartsWith("home/mnt/", StringComparison.Ordinal));

        var all = s.Backup("all", "--dostats");

        Expect.Success(all);
        Assert.Contains("files:            3", all.StdoutLines);
        Assert.Empty(TreeComparer.Differences(s.SourceRoot, s.Snapshot("all")));
    }
}
