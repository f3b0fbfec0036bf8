using ActorBackup.Core;
using ActorBackup.Posix;
using ActorBackup.Store.Manifest;
using ActorBackup.Testing;
using Mono.Unix.Native;
using Names = ActorBackup.Testing.Names;

namespace ActorBackup.Core.Tests;

public sealed class FilesTests
{
    [Fact]
    public void OpenSource_refuses_a_symlink_to_a_file()
    {
        using var dir = new TempDir();
        var secret = dir.Write("secret", "top secret");
        File.CreateSymbolicLink(dir["innocent"], secret);

        var e = Assert.Throws<PosixException>(() => Files.OpenSource(dir["innocent"], out _));

        Assert.Equal(Errno.ELOOP, e.Errno);
    }

    [Fact]
    public void OpenSource_reads_a_regular_file_and_reports_its_inode()
    {
        using var dir = new TempDir();
        var path = dir.Write("f", "hello");
        Assert.Equal(0, Syscall.lstat(path, out var st));

        using var handle = Files.OpenSource(path, out var meta);
        var buffer = new byte[16];
        var n = RandomAccess.Read(handle, buffer, 0);

        Assert.Equal("hello"u8.ToArray(), buffer[..n]);
        Assert.Equal(st.st_ino, meta.Inode);
        Assert.Equal(5, meta.Size);
        Assert.Equal(EntryType.File, meta.Type);
    }

    [Fact]
    public async Task OpenSource_does_not_hang_on_a_fifo()
    {
        using var dir = new TempDir();
        var fifo = dir["pipe"];
        Libc.Mkfifo(fifo);

        var open = Task.Run(() =>
        {
            using var handle = Files.OpenSource(fifo, out var meta);
            return meta.Type;
        });

        var first = await Task.WhenAny(open, Task.Delay(TimeSpan.FromSeconds(5)));
        Assert.True(first == open, "opening a FIFO blocked");
        Assert.Equal(EntryType.Fifo, await open);
    }

    [Fact]
    public void OpenSource_and_reading_leave_the_source_atime_alone()
    {
        using var dir = new TempDir();
        var path = dir.Write("f", "content");
        var oldAtime = new DateTime(2001, 2, 3, 4, 5, 6, DateTimeKind.Utc);
        File.SetLastAccessTimeUtc(path, oldAtime);
        File.SetLastWriteTimeUtc(path, new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc));

        using (var handle = Files.OpenSource(path, out _))
            RandomAccess.Read(handle, new byte[64], 0);

        // relatime would update an atime older than mtime on this read; O_NOATIME must not.
        Assert.Equal(oldAtime, File.GetLastAccessTimeUtc(path));
    }

    [Fact]
    public void CreateExclusive_refuses_an_existing_name_and_creates_mode_0600()
    {
        using var dir = new TempDir();
        var path = dir["new"];

        using (Files.CreateExclusive(path))
        {
        }
        var e = Assert.Throws<PosixException>(() => Files.CreateExclusive(path));

        Assert.Equal(Errno.EEXIST, e.Errno);
        Assert.Equal(0x180u, Files.Lstat(path).Mode);
    }

    [Fact]
    public void SetMeta_sets_owner_mode_with_setuid_and_nanosecond_mtime()
    {
        using var dir = new TempDir();
        var path = dir["entry"];
        using (var handle = Files.CreateExclusive(path))
            Files.SetMeta(handle, path, 1234, 5678, 0x9ED, new Timestamp(1_600_000_000, 123_456_789), chown: true);

        var meta = Files.Lstat(path);

        Assert.Equal(1234u, meta.Uid);
        Assert.Equal(5678u, meta.Gid);
        Assert.Equal(0x9EDu, meta.Mode);
        Assert.Equal(new Timestamp(1_600_000_000, 123_456_789), meta.Mtime);
    }

    [Fact]
    public void SetTimes_and_Lchown_change_a_symlink_not_its_target()
    {
        using var dir = new TempDir();
        var target = dir.Write("target", "t");
        File.SetLastWriteTimeUtc(target, new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc));
        var before = Files.Lstat(target);
        File.CreateSymbolicLink(dir["link"], target);

        Files.SetTimes(dir["link"], new Timestamp(1_500_000_000, 42));
        Files.Lchown(dir["link"], 4321, 8765);

        var link = Files.Lstat(dir["link"]);
        var after = Files.Lstat(target);
        Assert.Equal(new Timestamp(1_500_000_000, 42), link.Mtime);
        Assert.Equal(4321u, link.Uid);
        Assert.Equal(8765u, link.Gid);
        Assert.Equal(before.Mtime, after.Mtime);
        Assert.Equal(before.Uid, after.Uid);
    }

    [Fact]
    public void A_folder_made_and_finished_through_held_parents_gets_mode_owner_and_both_times()
    {
        using var dir = new TempDir();
        using var held = new OpenDirectories(4);
        var name = PathBytes.FromBytes([(byte)'d', 0xFF, (byte)'-', 0xC3, 0xA9]); // not UTF-8, then "é"
        var path = dir.Path + "/" + name;

        Assert.Equal((Errno)0, Files.TryMkdir(path, 0x1C0, held));
        Assert.Equal(Errno.EEXIST, Files.TryMkdir(path, 0x1C0, held));
        Files.Chmod(path, 0x3ED, held); // 01755
        if (Files.IsRoot)
            Files.Lchown(path, 4321, 8765, held);
        Files.SetTimes(path, new Timestamp(1_600_000_000, 123_456_789), held);

        Assert.Equal(0, Syscall.lstat(path, out var st)); // Mono: an independent way to the same name
        Assert.Equal(0x3EDu, (uint)st.st_mode & 0xFFF);
        Assert.Equal((1_600_000_000L, 123_456_789L), (st.st_mtime, st.st_mtime_nsec));
        Assert.Equal((1_600_000_000L, 123_456_789L), (st.st_atime, st.st_atime_nsec));
        if (Files.IsRoot)
            Assert.Equal((4321u, 8765u), (st.st_uid, st.st_gid));
        Assert.Equal(Errno.ENOENT, Files.TryMkdir(dir.Path + "/missing/sub", 0x1C0, held));
    }

    [Fact]
    public void TryLink_makes_a_second_name_for_the_same_inode()
    {
        using var dir = new TempDir();
        var first = dir.Write("first", "x");

        Assert.Equal((Errno)0, Files.TryLink(first, dir["second"]));
        Assert.Equal(Errno.EEXIST, Files.TryLink(first, dir["second"]));

        var a = Files.Lstat(first);
        var b = Files.Lstat(dir["second"]);
        Assert.Equal(a.Inode, b.Inode);
        Assert.Equal(2ul, b.LinkCount);
    }

    [Fact]
    public void TryRenameNoReplace_moves_to_a_free_name_and_leaves_both_files_when_the_name_is_taken()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir["store/AB"]);
        var temp = dir.Write("temp", "new bytes");
        var tempInode = Files.Lstat(temp).Inode;
        var taken = dir.Write("store/AB/taken", "old bytes");
        var takenInode = Files.Lstat(taken).Inode;
        using var held = new OpenDirectories(4);

        Assert.Equal(Errno.EEXIST, Files.TryRenameNoReplace(temp, taken));
        Assert.Equal(Errno.EEXIST, Files.TryRenameNoReplace(temp, taken, held));
        Assert.Equal("old bytes", File.ReadAllText(taken));
        Assert.Equal(takenInode, Files.Lstat(taken).Inode);
        Assert.Equal("new bytes", File.ReadAllText(temp));
        Assert.Equal(Errno.ENOENT, Files.TryRenameNoReplace(temp, dir["store/missing/x"], held));
        Assert.Equal(Errno.ENOENT, Files.TryRenameNoReplace(dir["no-such-temp"], dir["store/AB/free"], held));

        var free = dir["store/AB"] + "/" + Names.FromBytes(0x41, 0xFF); // not UTF-8
        Assert.Equal((Errno)0, Files.TryRenameNoReplace(temp, free, held));
        Assert.False(Files.Exists(temp));
        Assert.Equal(tempInode, Files.Lstat(free).Inode);
        Assert.Equal((Errno)0, Files.TryRenameNoReplace(free, dir["store/AB/by-path"])); // no held folder
        Assert.Equal(tempInode, Files.Lstat(dir["store/AB/by-path"]).Inode);
        Assert.Equal("new bytes", File.ReadAllText(dir["store/AB/by-path"]));

        // Both sides from held folders: the temp folder's and the entry's.
        using var heldFrom = new OpenDirectories(4);
        dir.CreateFolder("tmp/07");
        var second = dir.Write("tmp/07/second", "second bytes");
        Assert.Equal(Errno.EEXIST, Files.TryRenameNoReplace(second, taken, held, heldFrom));
        Assert.Equal(Errno.ENOENT, Files.TryRenameNoReplace(dir["tmp/07/none"], dir["store/AB/free2"], held, heldFrom));
        Assert.Equal((Errno)0, Files.TryRenameNoReplace(second, dir["store/AB/second"], held, heldFrom));
        Assert.False(Files.Exists(second));
        Assert.Equal("second bytes", File.ReadAllText(dir["store/AB/second"]));
        Assert.Equal("old bytes", File.ReadAllText(taken));
    }

    [Fact]
    public void TryLink_through_held_folders_keeps_the_bytes_of_names_and_reports_errnos()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir["store/AB"]);
        Directory.CreateDirectory(dir["snap/sub"]);
        var entryName = Names.FromBytes(0x41, 0x42, 0xFF, 0x2E, 0x31); // "AB\xFF.1": not UTF-8
        var entry = dir["store/AB"] + "/" + entryName;
        var fd = Syscall.open(entry, OpenFlags.O_CREAT | OpenFlags.O_WRONLY, FilePermissions.S_IRUSR);
        Assert.True(fd >= 0);
        Syscall.close(fd);
        using var entries = new OpenDirectories(4);
        using var snapshot = new OpenDirectories(4);
        var target = dir["snap/sub"] + "/" + Names.FromBytes(0xFE, 0x41); // "\xFEA"
        var utf8 = dir["snap/sub"] + "/été";

        Assert.Equal((Errno)0, Files.TryLink(entries, dir["store/AB"], entryName, snapshot, target));
        Assert.Equal((Errno)0, Files.TryLink(entries, dir["store/AB"], entryName, snapshot, utf8));
        Assert.Equal(Errno.EEXIST, Files.TryLink(entries, dir["store/AB"], entryName, snapshot, target));
        Assert.Equal(Errno.ENOENT, Files.TryLink(entries, dir["store/AB"], entryName, snapshot, dir["snap/missing"] + "/x"));
        Assert.Equal(Errno.ENOENT, Files.TryLink(entries, dir["store/AB"], entryName + "x", snapshot, dir["snap/sub"] + "/y"));
        Assert.Equal((Errno)0, Files.TryLink(entry, dir["snap/sub"] + "/by-path", snapshot)); // two levels: the entry by path

        List<string> names;
        using (var listing = DirectoryHandle.Open(dir["snap/sub"]))
            names = listing.ListNames();
        Assert.Equal(["\\xC3\\xA9t\\xC3\\xA9", "\\xFEA", "by-path"], names.Select(Names.Show).Order(StringComparer.Ordinal));
        Assert.Equal(Files.Lstat(entry).Inode, Files.Lstat(target).Inode);
        Assert.Equal(Files.Lstat(entry).Inode, Files.Lstat(utf8).Inode);
        Assert.Equal(4ul, Files.Lstat(entry).LinkCount);
    }
}
