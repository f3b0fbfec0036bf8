using ActorBackup.Core;
using ActorBackup.Posix;
using ActorBackup.Store.Manifest;
using ActorBackup.Testing;
using Mono.Unix.Native;

namespace ActorBackup.Core.Tests;

public sealed class DirectoryHandleTests
{
    [Fact]
    public void Open_refuses_a_symlink_to_a_directory()
    {
        using var dir = new TempDir();
        var target = dir.CreateFolder("real");
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
        var sub = dir.CreateFolder("sub");
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
        dir.CreateFolder("sub");

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
        dir.CreateFolder("real");
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

    [Fact]
    public void StatChild_gives_every_field_lstat_gives_for_each_type_of_entry()
    {
        using var dir = new TempDir();
        var file = dir.Write("file", "twelve bytes");
        File.SetLastWriteTimeUtc(file, new DateTime(2001, 2, 3, 4, 5, 6, DateTimeKind.Utc).AddTicks(1234567));
        if (Files.IsRoot)
            Assert.Equal(0, Syscall.chown(file, 4321, 8765)); // before chmod: chown clears setuid
        Assert.Equal(0, Syscall.chmod(file, FilePermissions.S_ISUID | (FilePermissions)Convert.ToUInt32("751", 8)));
        dir.CreateFolder("sub");
        File.CreateSymbolicLink(dir["link"], "file");
        Libc.Mkfifo(dir["fifo"]);
        var names = new List<string> { "file", "sub", "link", "fifo" };
        if (Files.IsRoot)
        {
            // A device number with a minor above 255 and a major above 255: both halves of
            // the encoding are exercised.
            Assert.Equal(0, Syscall.mknod(dir["dev"], FilePermissions.S_IFCHR | (FilePermissions)Convert.ToUInt32("600", 8), Makedev(300, 70000)));
            names.Add("dev");
        }
        using var handle = DirectoryHandle.Open(dir.Path);

        foreach (var name in names)
            Assert.Equal(Files.Lstat(dir[name]), handle.StatChild(name));
        if (Files.IsRoot)
        {
            Assert.Equal(Makedev(300, 70000), handle.StatChild("dev")!.Rdev);
            Assert.Equal((4321u, 8765u), (handle.StatChild("file")!.Uid, handle.StatChild("file")!.Gid));
        }
        var meta = handle.StatChild("file")!;
        Assert.Equal((12L, 0x9E9u, 1234567L * 100), (meta.Size, meta.Mode, meta.Mtime.Nanoseconds));
    }

    [Theory]
    [InlineData(new byte[] { (byte)'n', 0xFF, 0xFE, (byte)'x' })] // not UTF-8
    [InlineData(new byte[] { (byte)'r', 0xC3, 0xA9, (byte)'s', 0xF0, 0x9F, 0x93, 0x81 })] // "rés" and an emoji
    [InlineData(new byte[] { (byte)'a', 0x01, (byte)'~', 0x7F })] // control bytes
    public void StatChild_and_ListNames_keep_the_exact_bytes_of_a_name(byte[] raw)
    {
        using var dir = new TempDir();
        Libc.CreateFile(dir.Path, raw);
        using var handle = DirectoryHandle.Open(dir.Path);
        var name = Assert.Single(handle.ListNames());

        Assert.Equal(raw, PathBytes.ToBytes(name));
        Assert.Equal(Files.Lstat(Path.Combine(dir.Path, name)), handle.StatChild(name));
        Assert.Equal(EntryType.File, handle.StatChild(name)!.Type);
    }

    [Fact]
    public void ListNames_lists_a_directory_larger_than_one_read_exactly_once_each()
    {
        using var dir = new TempDir();
        var expected = Enumerable.Range(0, 3000).Select(i => $"{i:D5}-{new string('n', 120)}").ToList();
        foreach (var name in expected)
            File.WriteAllBytes(dir[name], []);
        using var handle = DirectoryHandle.Open(dir.Path);

        var names = handle.ListNames();

        Assert.Equal(expected, names.Order(StringComparer.Ordinal));
    }

    /// <summary>glibc's makedev, as mknod takes it.</summary>
    private static ulong Makedev(uint major, uint minor) =>
        ((ulong)(major & 0xFFF) << 8) | ((ulong)(major & 0xFFFFF000) << 32) | (minor & 0xFFu) | ((ulong)(minor & 0xFFFFFF00) << 12);
}
