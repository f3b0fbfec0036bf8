using ActorBackup.EndToEnd.Tests.Support;
using ActorBackup.Posix;
using ActorBackup.Testing;

namespace ActorBackup.EndToEnd.Tests;

/// <summary>One source entry that cannot be backed up is reported, and the rest is still published.</summary>
public sealed class FileErrorTests
{
    /// <summary>
    /// Root can read every file, and this machine has no FUSE to fake a read error, so the
    /// unreadable entry is a file whose path is longer than PATH_MAX (4096 bytes): no
    /// path-based call (the tool opens source files and creates snapshot entries by absolute
    /// path) can reach it. Should the tool learn to walk such trees through directory handles
    /// alone, this test needs another unreadable entry.
    /// </summary>
    [Fact]
    public void An_entry_that_cannot_be_read_is_reported_on_stderr_and_the_snapshot_is_published_with_exit_3()
    {
        using var s = new Scenario();
        s.Source.File("readable.txt", "fine\n").File("deep/early.txt", "also fine\n");
        var deepFile = s.Source.DeepFile("deep", Names.OfLength(255, 'd'), depth: 17, "unreachable.txt", [1, 2, 3]);
        Assert.True(deepFile.Length > 4096);

        var result = s.Backup("s1");

        Expect.ExitCode(result, 3);
        var lines = result.StderrLines;
        Assert.All(lines, l => Assert.StartsWith("actorbackup: ", l));
        Assert.Contains(lines, l => l.StartsWith($"actorbackup: {s.SourceRoot}/deep/{Names.OfLength(255, 'd')}/", StringComparison.Ordinal));
        Assert.StartsWith($"actorbackup: snapshot {s.Snapshot("s1")} published, but ", lines[^1]);
        Assert.Equal("fine\n", System.Text.Encoding.UTF8.GetString(PosixFs.ReadBytes(s.InSnapshot("s1", "readable.txt"))));
        Expect.SameInode(s.EntryPath(Scenario.Sha1("fine\n"u8.ToArray())), s.InSnapshot("s1", "readable.txt"));
        Assert.True(PosixFs.Exists(s.InSnapshot("s1", "deep/early.txt")));
        Assert.False(PosixFs.Exists(s.Backups + "/.s1.partial"));
        Assert.Equal(2ul, Files.Lstat(s.InSnapshot("s1", "readable.txt")).LinkCount);
        Assert.Empty(PosixFs.ListNames(s.Data + "/.actorbackup/tmp"));
    }
}
