using ActorBackup.Core.Manifest;
using ActorBackup.Core.Tests.Support;
using ActorBackup.Posix;
using Mono.Unix.Native;

namespace ActorBackup.Core.Tests;

public sealed class DirectoryHandleTests
{
    [Fact]
    public void Open_refuses_a_symlink_to_a_directory()
    {
        using var dir = new TempDir();
        var target = dir.Mkdir("real");
        File.CreateSymbolicLink(dir["swapped"], target);

        var e = Assert.Throws<PosixException>(() => DirectoryHandle.Open(dir["swapped"]));

        // Linux answers O_NOFOLLOW|O_DIRECTORY on a symlink with ELOOP or ENOTDIR.
        Assert.Contains(e.Errno, new[] { Errno.ELOOP, Errno.ENOTDIR });
        Assert.Contains(dir["swapped"], e.Message);
    }

    [Fact]
    public void Open_refuses_a_regular_file()
    {
        using var dir = new TempDir();
        var file = dir.Write("f", "x");

        var e = Assert.Throws<PosixException>(() => DirectoryHandle.Open(file));

        Assert.Equal(Errno.ENOTDIR, e.Errno);
    }

    [Fact]
    public void Open_reports_the_inode_of_the_directory_it_opened()
    {
        using var dir = new TempDir();
        var sub = dir.Mkdir("sub");
        Assert.Equal(0, Syscall.lstat(sub, out var st));

        using var handle = DirectoryHandle.Open(sub);

        Assert.Equal(st.st_ino, handle.Meta.Inode);
        Assert.Equal(st.st_dev, handle.Meta.Device);
        Assert.Equal(EntryType.Directory, handle.Meta.Type);
    }

    [Fact]
    public void ListNames_lists_names_that_are_not_UTF8_with_their_exact_bytes()
    {
        using var dir = new TempDir();
        byte[] raw = [(byte)'n', 0xFF, 0xFE, (byte)'x'];
        Libc.CreateFile(dir.Path, raw);
        dir.Write("plain", "p");
        dir.Mkdir("sub");

        using var handle = DirectoryHandle.Open(dir.Path);
        var names = handle.ListNames();

        Assert.Equal(3, names.Count);
        Assert.DoesNotContain(".", names);
        Assert.DoesNotContain("..", names);
        var odd = Assert.Single(names, n => n != "plain" && n != "sub");
        Assert.Equal(raw, PathBytes.ToBytes(odd));
        var meta = handle.StatChild(odd);
        Assert.NotNull(meta);
        Assert.Equal(EntryType.File, meta.Type);
    }

    [Fact]
    public void ListNames_can_be_called_twice_and_gives_the_same_names()
    {
        using var dir = new TempDir();
        dir.Write("a", "1");
        dir.Write("b", "2");
        using var handle = DirectoryHandle.Open(dir.Path);

        var first = handle.ListNames().Order(StringComparer.Ordinal).ToList();
        var second = handle.ListNames().Order(StringComparer.Ordinal).ToList();

        Assert.Equal(["a", "b"], first);
        Assert.Equal(first, second);
    }

    [Fact]
    public void StatChild_does_not_follow_a_symlink_and_gives_null_for_a_missing_name()
    {
        using var dir = new TempDir();
        dir.Mkdir("real");
        File.CreateSymbolicLink(dir["link"], "real");
        using var handle = DirectoryHandle.Open(dir.Path);

        Assert.Equal(EntryType.Symlink, handle.StatChild("link")!.Type);
        Assert.Equal(EntryType.Directory, handle.StatChild("real")!.Type);
        Assert.Null(handle.StatChild("missing"));
    }

    [Fact]
    public void ReadLinkChild_returns_the_exact_target_bytes()
    {
        using var dir = new TempDir();
        byte[] target = [(byte)'.', (byte)'.', (byte)'/', 0xFF, (byte)' ', (byte)'%', 0x80, (byte)'t'];
        Libc.Symlink(target, dir.Path, "l"u8.ToArray());
        using var handle = DirectoryHandle.Open(dir.Path);

        Assert.Equal(target, handle.ReadLinkChild("l"));
    }
}
