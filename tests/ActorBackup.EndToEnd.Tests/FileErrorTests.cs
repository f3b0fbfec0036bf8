using ActorBackup.EndToEnd.Tests.Support;
using ActorBackup.Posix;
using ActorBackup.Testing;

namespace ActorBackup.EndToEnd.Tests;

/// <summary>One source entry that cannot be backed up is reported, and the rest is still published.</summary>
public sealed class FileErrorTests
{
    /// <summary>
    /// Root can read every file, and this machine has no FUSE to fake a read error, so the
    /// unreadable entry is a write-only kernel file bind-mounted into the source:
    /// /proc/sys/vm/drop_caches (mode 0200) refuses even root a read (EACCES). (This test
    /// used a path longer than PATH_MAX until the tool learned to reach those.)
    /// </summary>
    [Fact]
    public void An_entry_that_cannot_be_read_is_reported_on_stderr_and_the_snapshot_is_published_with_exit_3()
    {
        using var s = new Scenario();
        s.Source.File("readable.txt", "fine\n").File("deep/early.txt", "also fine\n").File("deep/unreadable", "placeholder");
        using var mount = new BindMount("/proc/sys/vm/drop_caches", s.Source.PathOf("deep/unreadable"));

        var result = s.Backup("s1");

        Expect.ExitCode(result, 3);
        var lines = result.StderrLines;
        Assert.All(lines, l => Assert.StartsWith("actorbackup: ", l));
        Assert.Contains($"actorbackup: {s.SourceRoot}/deep/unreadable: cannot open: Permission denied (EACCES)", lines);
        Assert.StartsWith($"actorbackup: snapshot {s.Snapshot("s1")} published, but ", lines[^1]);
        Assert.Equal("fine\n", System.Text.Encoding.UTF8.GetString(PosixFs.ReadBytes(s.InSnapshot("s1", "readable.txt"))));
        Expect.SameInode(s.EntryPath(Scenario.Sha1("fine\n"u8.ToArray())), s.InSnapshot("s1", "readable.txt"));
        Assert.True(PosixFs.Exists(s.InSnapshot("s1", "deep/early.txt")));
        Assert.False(PosixFs.Exists(s.Backups + "/.s1.partial"));
        Assert.Equal(2ul, Files.Lstat(s.InSnapshot("s1", "readable.txt")).LinkCount);
        Assert.Empty(PosixFs.TempFiles(s.Data));
    }
}
