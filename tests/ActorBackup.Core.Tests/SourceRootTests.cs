using ActorBackup.Posix;
using ActorBackup.Testing;
using Mono.Unix.Native;

namespace ActorBackup.Core.Tests;

/// <summary>
/// Opening below the backed-up root: never through a symlink, never outside the root, never a
/// FIFO or device for reading, at any depth. Each case runs with openat2 and with the
/// name-by-name fallback for kernels without it.
/// </summary>
public sealed class SourceRootTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_folder_on_the_path_swapped_for_a_symlink_is_not_followed(bool withoutOpenat2)
    {
        using var dir = new TempDir();
        dir.CreateFolder("root/a");
        dir.Write("root/a/f", "inside");
        dir.CreateFolder("outside/a");
        dir.Write("outside/a/f", "outside");
        Directory.Move(dir["root/a"], dir["root/a.real"]);
        File.CreateSymbolicLink(dir["root/a"], dir["outside/a"]);
        using var watch = new OpenWatch().Add(dir["outside/a"]);
        using var root = new SourceRoot(dir["root"]) { WithoutOpenat2 = withoutOpenat2 };

        var file = Assert.Throws<PosixException>(() => root.OpenFile("a/f", _ => true, out _));
        var folder = Assert.Throws<PosixException>(() => root.OpenDirectory("a"));

        Assert.Equal(Errno.ELOOP, file.Errno);
        Assert.Equal(Errno.ELOOP, folder.Errno);
        Assert.Contains(dir["root/a/f"], file.Message);
        Assert.Empty(watch.Events());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_symlink_in_the_last_name_is_examined_not_followed(bool withoutOpenat2)
    {
        using var dir = new TempDir();
        dir.CreateFolder("root");
        dir.Write("secret", "outside");
        File.CreateSymbolicLink(dir["root/f"], dir["secret"]);
        using var root = new SourceRoot(dir["root"]) { WithoutOpenat2 = withoutOpenat2 };

        var handle = root.OpenFile("f", _ => true, out var meta);

        Assert.Null(handle);
        Assert.Equal(EntryType.Symlink, meta.Type);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_FIFO_or_device_is_never_opened_for_reading(bool withoutOpenat2)
    {
        Assert.True(Files.IsRoot, "this test makes a device node and needs root");
        using var dir = new TempDir();
        dir.CreateFolder("root");
        Assert.Equal(0, Syscall.mkfifo(dir["root/pipe"], FilePermissions.S_IRUSR | FilePermissions.S_IWUSR));
        Assert.Equal(0, Syscall.mknod(dir["root/zero"], FilePermissions.S_IFCHR | FilePermissions.S_IRUSR, TreeBuilder.MakeDev(1, 5)));
        using var watch = new OpenWatch().Add(dir["root/pipe"]).Add(dir["root/zero"]);
        using var root = new SourceRoot(dir["root"]) { WithoutOpenat2 = withoutOpenat2 };

        var pipe = root.OpenFile("pipe", _ => true, out var pipeMeta);
        var zero = root.OpenFile("zero", _ => true, out var zeroMeta);

        Assert.Null(pipe);
        Assert.Null(zero);
        Assert.Equal(EntryType.Fifo, pipeMeta.Type);
        Assert.Equal(EntryType.CharDevice, zeroMeta.Type);
        Assert.Empty(watch.Events());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_file_refused_by_the_caller_is_not_opened_for_reading(bool withoutOpenat2)
    {
        using var dir = new TempDir();
        dir.Write("f", "content");
        using var watch = new OpenWatch().Add(dir["f"]);
        using var root = new SourceRoot(dir.Path) { WithoutOpenat2 = withoutOpenat2 };

        var refused = root.OpenFile("f", _ => false, out var meta);
        using var accepted = root.OpenFile("f", m => m.Inode == meta.Inode, out _);

        Assert.Null(refused);
        Assert.NotNull(accepted);
        Assert.Equal(new[] { "open " + dir["f"] }, watch.Events());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Files_and_folders_below_a_path_longer_than_PATH_MAX_are_opened(bool withoutOpenat2)
    {
        using var dir = new TempDir();
        var relative = string.Join('/', Enumerable.Range(0, 30).Select(i => $"{i:D2}".PadRight(250, 'x')));
        var folder = LongPaths.OpenDirectory(dir.Path);
        foreach (var name in relative.Split('/'))
        {
            Assert.Equal(0, Syscall.mkdirat(folder, name, FilePermissions.S_IRWXU));
            var next = Syscall.openat(folder, name, OpenFlags.O_RDONLY | OpenFlags.O_DIRECTORY);
            Syscall.close(folder);
            folder = next;
        }
        var fd = Syscall.openat(folder, "f", OpenFlags.O_WRONLY | OpenFlags.O_CREAT, FilePermissions.S_IRUSR);
        Syscall.close(fd);
        Syscall.close(folder);
        using var root = new SourceRoot(dir.Path) { WithoutOpenat2 = withoutOpenat2 };

        using var file = root.OpenFile(relative + "/f", _ => true, out var meta);
        using var listed = root.OpenDirectory(relative);

        Assert.NotNull(file);
        Assert.Equal(EntryType.File, meta.Type);
        Assert.Equal(new[] { "f" }, listed.ListNames());
        Assert.True(relative.Length > 4096);
    }
}
