using System.Diagnostics;
using System.Text;
using ActorBackup.Core;
using ActorBackup.EndToEnd.Tests.Support;
using ActorBackup.Posix;
using ActorBackup.Testing;
using Mono.Unix.Native;
using Xunit.Abstractions;

namespace ActorBackup.EndToEnd.Tests;

/// <summary>
/// Trees a user can make to trip a backup run as root: every byte value in names, the
/// longest names, paths longer than PATH_MAX, a folder of 100,000 entries, files and folders
/// no one may read, FIFOs and device nodes. Each is backed up (exit 0), the snapshot equals
/// the source, verify finds nothing, and a restore gives the source back exactly.
/// </summary>
public sealed class HostileTreeTests(ITestOutputHelper output)
{
    [Fact]
    public void Names_and_symlink_targets_with_every_byte_but_slash_and_NUL_come_back_exactly()
    {
        using var s = new Scenario();
        var every = Enumerable.Range(1, 255).Where(b => b != '/').Select(b => (byte)b).ToArray(); // 254 bytes
        foreach (var b in every)
        {
            // "." alone is the folder itself: that byte gets "..." instead.
            var name = b == '.' ? Names.FromBytes(b, b, b) : Names.FromBytes(b);
            s.Source.File("single/" + name, $"byte {b}\n");
        }
        var all = Names.FromBytes(every);
        var reversed = Names.FromBytes(every.Reverse().ToArray());
        var longest = Names.FromBytes(Enumerable.Repeat((byte)0xFF, 255).ToArray());
        s.Source.File($"{all}/{all}", "every byte in one name\n")
            .File($"{all}/{reversed}", "and backwards\n")
            .Symlink($"{all}/link", [.. every, (byte)'/', .. every])
            .Fifo($"{all}/{longest}")
            .File($"{longest}/{Names.OfLength(255, 'x')}", "255-byte names, one not UTF-8\n")
            .Symlink($"{longest}/{Names.FromBytes(Enumerable.Repeat((byte)'\n', 255).ToArray())}", Names.FromBytes(Enumerable.Repeat((byte)0x80, 255).ToArray()))
            .Dir($"{longest}/{Names.FromBytes(Enumerable.Repeat((byte)' ', 255).ToArray())}")
            .Mtime($"{all}", 1_600_000_000, 1)
            .Mtime(longest, 1_600_000_000, 2);

        Expect.Success(s.Backup("s1"));

        Assert.Equal(254, PosixFs.ListNames(s.InSnapshot("s1", "single")).Count);
        Assert.Empty(TreeComparer.Differences(s.SourceRoot, s.Snapshot("s1")));
        Expect.Success(Verify(s));
        var target = s.Temp.Combine("restored");
        Expect.Success(Restore(s, "s1", target));
        Assert.Empty(TreeComparer.Differences(s.SourceRoot, target));
    }

    /// <summary>
    /// 42 folders of 200-byte names: paths of 8.5 KB, twice PATH_MAX, which no path-based call
    /// accepts. The tree is built from directory handles; the tool must reach every entry
    /// for the walk, the read, the snapshot (mkdir, link, symlink, mknod, owner, mode, times),
    /// verify and restore.
    /// </summary>
    [Fact]
    public void A_tree_with_paths_twice_PATH_MAX_is_backed_up_verified_and_restored_exactly()
    {
        using var s = new Scenario();
        var path = "deep";
        s.Source.Dir(path);
        for (var level = 0; level < 42; level++)
        {
            path += "/" + $"level-{level:D2}-".PadRight(200, (char)('a' + level % 26));
            Deep.Mkdir(s.Source.PathOf(path), 750);
            if (level % 10 == 9)
            {
                Deep.File(s.Source.PathOf(path + "/file-at-" + level), Scenario.Bytes(10_000 + level, seed: level), 640);
                Deep.Times(s.Source.PathOf(path + "/file-at-" + level), 1_600_000_000, level);
            }
        }
        var bottom = s.Source.PathOf(path);
        Assert.True(Encoding.UTF8.GetByteCount(bottom) > 2 * 4096);
        Deep.File(bottom + "/big.bin", Scenario.Bytes(3 << 20, seed: 99), 600); // more than one read buffer
        Deep.File(bottom + "/empty", [], 644);
        Deep.File(bottom + "/" + Names.OfLength(255), Encoding.UTF8.GetBytes("a 255-byte name at 8 KB\n"), 644);
        Deep.File(bottom + "/same-as-level-9", Scenario.Bytes(10_009, seed: 9), 640); // links to a stored entry
        Deep.Times(bottom + "/same-as-level-9", 1_600_000_000, 9); // one inode in the store: one mtime
        Deep.Symlink(bottom + "/link", "../" + Names.OfLength(300, 'z'));
        Deep.Fifo(bottom + "/pipe");
        Deep.Mkdir(bottom + "/locked", 0);
        Deep.Chown(bottom + "/big.bin", 1234, 4321);
        Deep.Chown(bottom + "/link", 1234, 4321);
        Deep.Chown(bottom + "/locked", 4321, 1234);
        Deep.Times(bottom + "/link", 1_600_000_000, 123_456_789);
        Deep.Times(bottom + "/big.bin", 1_600_000_000, 1);
        for (var p = path; p.Contains('/'); p = p[..p.LastIndexOf('/')])
            Deep.Times(s.Source.PathOf(p), 1_500_000_000, p.Length);

        var first = s.Backup("s1");

        Expect.Success(first);
        NoDifferences(s.SourceRoot, s.Snapshot("s1"));
        Expect.SameInode(s.EntryPath(Scenario.Sha1(Scenario.Bytes(3 << 20, seed: 99)), suffix: 0), s.InSnapshot("s1", path + "/big.bin"));
        Expect.Success(Verify(s, "--read-data"));
        var target = s.Temp.Combine("restored");
        Expect.Success(Restore(s, "s1", target));
        NoDifferences(s.SourceRoot, target);
        var second = s.Backup("s2", "--dostats");
        Expect.Success(second);
        NoDifferences(s.SourceRoot, s.Snapshot("s2"));
        Assert.Contains("unchanged:        8 files linked from the previous snapshot without reading", second.StdoutLines);
    }

    /// <summary>
    /// 100,000 entries in one folder: 90,000 symlinks and 10,000 empty files (the folder's
    /// listing, sorting, messages and manifest are what a crowd strains; a file costs the
    /// pipeline far more than a symlink, so a crowd of files alone would take a minute here).
    /// </summary>
    [Fact]
    public void A_folder_of_100000_entries_is_backed_up_whole()
    {
        using var s = new Scenario();
        const int Count = 100_000, FilesAmong = 10_000;
        var folder = s.Source.PathOf("crowd");
        s.Source.Dir("crowd").File("crowd-sibling.txt", "next to the crowd\n");
        var made = Stopwatch.StartNew();
        var dir = Syscall.open(folder, OpenFlags.O_RDONLY | OpenFlags.O_DIRECTORY | OpenFlags.O_CLOEXEC);
        for (var i = 0; i < Count; i++)
        {
            var name = $"entry-{i:D6}";
            if (i % (Count / FilesAmong) == 0)
            {
                var fd = Syscall.openat(dir, name, OpenFlags.O_WRONLY | OpenFlags.O_CREAT | OpenFlags.O_EXCL | OpenFlags.O_CLOEXEC, FilePermissions.S_IRUSR | FilePermissions.S_IWUSR);
                Assert.True(fd >= 0, $"create {name}: {Stdlib.GetLastError()}");
                Syscall.close(fd);
            }
            else
                Assert.True(Syscall.symlinkat($"target-{i}", dir, name) == 0, $"symlink {name}: {Stdlib.GetLastError()}");
        }
        Syscall.close(dir);
        output.WriteLine($"made {Count} entries in {made.Elapsed.TotalSeconds:F1} s");

        var result = s.Backup("s1", "--dostats");

        Expect.Success(result);
        output.WriteLine($"backup of {Count} entries in one folder: {result.Elapsed.TotalSeconds:F1} s");
        output.WriteLine(result.Stdout);
        var names = PosixFs.ListNames(s.InSnapshot("s1", "crowd"));
        Assert.Equal(Enumerable.Range(0, Count).Select(i => $"entry-{i:D6}"), names);
        Assert.Equal(Count + 3, s.Manifest("s1").Entries.Count); // root, crowd, its sibling
        Assert.Equal("target-99999", Encoding.UTF8.GetString(PosixFs.ReadLink(s.InSnapshot("s1", "crowd/entry-099999"))));
        Assert.Equal(EntryType.File, Files.Lstat(s.InSnapshot("s1", "crowd/entry-090000")).Type);
        var empty = Assert.Single(s.StoreEntries(), e => e.Name == Scenario.Sha1([]));
        Assert.Equal(FilesAmong + 1ul, empty.Meta.LinkCount);
    }

    [Fact]
    public void Files_and_folders_of_mode_000_owned_by_another_user_are_backed_up_with_their_mode_and_owner()
    {
        using var s = new Scenario();
        s.Source.File("locked/secret.txt", "only root reads this\n", mode: 0)
            .File("locked/inner/deeper.txt", "below two locked folders\n", mode: 0)
            .File("open/closed.bin", Scenario.Bytes(70_000, seed: 3), mode: 0)
            .Dir("empty-locked", mode: 0)
            .Chown("locked/secret.txt", 1234, 1234).Chown("locked/inner/deeper.txt", 1234, 1234)
            .Chown("locked/inner", 1234, 1234).Chmod("locked/inner", 0)
            .Chown("locked", 1234, 1234).Chmod("locked", 0)
            .Chown("open/closed.bin", 4321, 4321)
            .Chown("empty-locked", 4321, 1234);

        Expect.Success(s.Backup("s1"));

        foreach (var (relative, uid, gid) in new[] { ("locked", 1234u, 1234u), ("locked/secret.txt", 1234u, 1234u), ("locked/inner", 1234u, 1234u), ("open/closed.bin", 4321u, 4321u), ("empty-locked", 4321u, 1234u) })
        {
            Expect.Mode(0, s.InSnapshot("s1", relative));
            Expect.Owner(uid, gid, s.InSnapshot("s1", relative));
        }
        Assert.Equal("only root reads this\n", Encoding.UTF8.GetString(PosixFs.ReadBytes(s.InSnapshot("s1", "locked/secret.txt"))));
        Assert.Empty(TreeComparer.Differences(s.SourceRoot, s.Snapshot("s1")));
        var target = s.Temp.Combine("restored");
        Expect.Success(Restore(s, "s1", target));
        Assert.Empty(TreeComparer.Differences(s.SourceRoot, target));
    }

    [Fact]
    public void FIFOs_and_device_nodes_are_recreated_and_never_opened()
    {
        Assert.True(Files.IsRoot, "this test makes device nodes and needs root");
        using var s = new Scenario();
        var disk = Files.Lstat(s.SourceRoot).Device; // the disk this test writes to
        s.Source.Fifo("pipe-nobody-writes", mode: 600)
            .CharDevice("zero", 1, 5, mode: 666)
            .CharDevice("urandom", 1, 9, mode: 644)
            .File("plain.txt", "plain\n");
        Assert.Equal(0, Syscall.mknod(s.Source.PathOf("disk"), FilePermissions.S_IFBLK | FilePermissions.S_IRUSR | FilePermissions.S_IWUSR, disk));
        using var watch = new OpenWatch();
        foreach (var node in new[] { "pipe-nobody-writes", "zero", "urandom", "disk" })
            watch.Add(s.Source.PathOf(node));

        var result = PublishedCli.Run([$"--rootfolder={s.SourceRoot}", $"--backupfolder={s.Snapshot("s1")}", $"--datafolder={s.Data}", "--createdirs"], TimeSpan.FromSeconds(60));

        Expect.Success(result);
        Assert.Empty(watch.Events());
        Assert.Empty(TreeComparer.Differences(s.SourceRoot, s.Snapshot("s1")));
        Assert.Equal(disk, Files.Lstat(s.InSnapshot("s1", "disk")).Rdev);
        Assert.Equal(TreeBuilder.MakeDev(1, 5), Files.Lstat(s.InSnapshot("s1", "zero")).Rdev);
        Assert.Equal(new[] { Scenario.Sha1("plain\n"u8.ToArray()) }, s.StoreEntries().Select(e => e.Name));
    }

    /// <summary>TreeComparer's verdict, each difference's 8 KB path cut to its end so the message stays readable.</summary>
    private static void NoDifferences(string original, string copy)
    {
        var differences = TreeComparer.Differences(original, copy);
        Assert.True(differences.Count == 0, string.Join('\n', differences.Select(d => d.Length > 300 ? "..." + d[^300..] : d)));
    }

    private static ProcessResult Verify(Scenario s, params string[] options) =>
        PublishedCli.Run(["verify", $"--datafolder={s.Data}", .. options]);

    private static ProcessResult Restore(Scenario s, string snapshot, string target) =>
        PublishedCli.Run(["restore", $"--datafolder={s.Data}", $"--snapshot={snapshot}", $"--target={target}"]);

    /// <summary>Entries made at any depth: each call works on its parent's handle (see <see cref="LongPaths"/>).</summary>
    private static class Deep
    {
        public static void Mkdir(string path, int mode)
        {
            Check(LongPaths.At(path, (fd, name) => Syscall.mkdirat(fd, name, FilePermissions.S_IRWXU)), "mkdir", path);
            Chmod(path, mode);
        }

        public static void File(string path, byte[] content, int mode)
        {
            var fd = LongPaths.At(path, (dir, name) => Syscall.openat(dir, name, OpenFlags.O_WRONLY | OpenFlags.O_CREAT | OpenFlags.O_EXCL | OpenFlags.O_CLOEXEC, FilePermissions.S_IRUSR | FilePermissions.S_IWUSR));
            Assert.True(fd >= 0, $"create {Names.Show(path)}: {Stdlib.GetLastError()}");
            unsafe
            {
                fixed (byte* p = content)
                    Assert.Equal(content.Length, Syscall.write(fd, p, (ulong)content.Length));
            }
            Syscall.close(fd);
            Chmod(path, mode);
        }

        public static void Symlink(string path, string target) =>
            Check(LongPaths.At(path, (fd, name) => Syscall.symlinkat(target, fd, name)), "symlink", path);

        public static void Fifo(string path) =>
            Check(LongPaths.At(path, (fd, name) => Syscall.mknodat(fd, name, FilePermissions.S_IFIFO | FilePermissions.S_IRUSR | FilePermissions.S_IWUSR, 0)), "mkfifo", path);

        public static void Chmod(string path, int mode) =>
            Check(LongPaths.At(path, (fd, name) => Syscall.fchmodat(fd, name, (FilePermissions)Octal.Mode(mode), 0)), "chmod", path);

        public static void Chown(string path, uint uid, uint gid) =>
            Check(LongPaths.At(path, (fd, name) => Syscall.fchownat(fd, name, uid, gid, AtFlags.AT_SYMLINK_NOFOLLOW)), "chown", path);

        public static void Times(string path, long seconds, long nanoseconds)
        {
            var t = new Timespec { tv_sec = seconds, tv_nsec = nanoseconds };
            Check(LongPaths.At(path, (fd, name) => Syscall.utimensat(fd, name, [t, t], AtFlags.AT_SYMLINK_NOFOLLOW)), "utimensat", path);
        }

        private static void Check(int rc, string operation, string path) =>
            Assert.True(rc == 0, $"{operation} {Names.Show(path)}: {Stdlib.GetLastError()}");
    }
}
