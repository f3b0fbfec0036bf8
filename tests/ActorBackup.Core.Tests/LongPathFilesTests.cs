using ActorBackup.Posix;
using ActorBackup.Testing;
using Mono.Unix.Native;

namespace ActorBackup.Core.Tests;

/// <summary>
/// The path-based calls the data-store makes in a snapshot tree work on paths longer than
/// PATH_MAX (a snapshot of a deep source tree), where the kernel alone answers ENAMETOOLONG.
/// </summary>
public sealed class LongPathFilesTests
{
    [Fact]
    public void Snapshot_calls_reach_paths_longer_than_PATH_MAX()
    {
        using var dir = new TempDir();
        var entry = dir.Write("entry", "content");
        var path = dir.Path;
        for (var i = 0; i < 20; i++)
        {
            path += "/" + $"{i:D2}".PadRight(250, 'y');
            Assert.Equal((Errno)0, Files.TryMkdir(path, 0x1C0));
        }
        Assert.True(path.Length > 5000);

        Assert.Equal((Errno)0, Files.TryLink(entry, path + "/linked"));
        Assert.Equal((Errno)0, Files.TrySymlink("../target"u8.ToArray(), path + "/link"));
        Assert.Equal((Errno)0, Files.TryMknod(path + "/pipe", EntryType.Fifo, 0x180, 0));
        Files.Lchown(path + "/link", 1234, 4321);
        Files.Chmod(path + "/pipe", 0x1A4);
        Files.SetTimes(path + "/link", new Timestamp(1_600_000_000, 5));

        Assert.True(Files.Lstat(path + "/linked").SameInodeAs(Files.Lstat(entry)));
        var link = Files.Lstat(path + "/link");
        Assert.Equal((EntryType.Symlink, 1234u, 4321u, new Timestamp(1_600_000_000, 5)), (link.Type, link.Uid, link.Gid, link.Mtime));
        Assert.Equal(0x1A4u, Files.Lstat(path + "/pipe").Mode);
        using (var handle = DirectoryHandle.Open(path))
            Assert.Equal(new[] { "link", "linked", "pipe" }, handle.ListNames().Order(StringComparer.Ordinal));
        Assert.Equal("content", System.Text.Encoding.UTF8.GetString(PosixFs.ReadBytes(path + "/linked")));

        Files.Unlink(path + "/linked");
        Assert.False(Files.Exists(path + "/linked"));
        Files.RemoveTree(dir.Path + "/" + "00".PadRight(250, 'y'));
        Assert.False(Files.Exists(dir.Path + "/" + "00".PadRight(250, 'y')));
    }
}
