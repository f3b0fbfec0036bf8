using System.Runtime.InteropServices;
using Mono.Unix.Native;

namespace ActorBackup.Testing;

/// <summary>
/// What a test reads back from disk, with names as bytes (see <see cref="Names"/>): file bytes,
/// directory listings, symlink targets, and the full stat (atime included, which
/// <c>ActorBackup.Posix.Files.Lstat</c> leaves out). Failures throw with the path and errno.
/// Paths longer than PATH_MAX work too (see <see cref="LongPaths"/>).
/// </summary>
public static class PosixFs
{
    public static Stat Lstat(string path)
    {
        Stat st = default;
        if (LongPaths.At(path, (fd, name) => Syscall.fstatat(fd, name, out st, AtFlags.AT_SYMLINK_NOFOLLOW)) != 0)
            throw Fail("lstat", path);
        return st;
    }

    public static bool Exists(string path) => LongPaths.At(path, (fd, name) => Syscall.fstatat(fd, name, out _, AtFlags.AT_SYMLINK_NOFOLLOW)) == 0;

    /// <summary>The S_IFMT bits of a stat: compare with <see cref="FilePermissions.S_IFREG"/> and friends.</summary>
    public static FilePermissions TypeOf(Stat st) => st.st_mode & FilePermissions.S_IFMT;

    /// <summary>Permission bits (07777) of a stat.</summary>
    public static uint ModeOf(Stat st) => (uint)st.st_mode & 0xFFF;

    public static byte[] ReadBytes(string path)
    {
        var fd = LongPaths.At(path, (dir, name) => Syscall.openat(dir, name, OpenFlags.O_RDONLY | OpenFlags.O_NOFOLLOW | OpenFlags.O_CLOEXEC));
        if (fd < 0)
            throw Fail("open", path);
        try
        {
            var result = new MemoryStream();
            var buffer = new byte[1 << 16];
            while (true)
            {
                long n;
                unsafe
                {
                    fixed (byte* p = buffer)
                        n = Syscall.read(fd, p, (ulong)buffer.Length);
                }
                if (n < 0)
                    throw Fail("read", path);
                if (n == 0)
                    return result.ToArray();
                result.Write(buffer, 0, (int)n);
            }
        }
        finally
        {
            Syscall.close(fd);
        }
    }

    /// <summary>Replaces the content of an existing file, keeping its inode (O_TRUNC).</summary>
    public static void Overwrite(string path, byte[] content)
    {
        var fd = Syscall.open(path, OpenFlags.O_WRONLY | OpenFlags.O_TRUNC | OpenFlags.O_NOFOLLOW | OpenFlags.O_CLOEXEC);
        if (fd < 0)
            throw Fail("open", path);
        try
        {
            WriteAll(fd, content, path);
        }
        finally
        {
            Syscall.close(fd);
        }
    }

    /// <summary>
    /// The files in a data folder's temp folder and its subfolders (tmp/00 ... tmp/0f), as
    /// paths relative to the temp folder ("0a/4242-h17.tmp"): what a run leaves behind.
    /// </summary>
    public static List<string> TempFiles(string dataFolder)
    {
        var tmp = dataFolder + "/.actorbackup/tmp";
        var files = new List<string>();
        foreach (var name in ListNames(tmp))
        {
            if (TypeOf(Lstat(tmp + "/" + name)) == FilePermissions.S_IFDIR)
                files.AddRange(ListNames(tmp + "/" + name).Select(n => name + "/" + n));
            else
                files.Add(name);
        }
        return files;
    }

    /// <summary>Names in a directory without "." and "..", sorted by their bytes.</summary>
    public static List<string> ListNames(string directory)
    {
        var fd = LongPaths.At(directory, (parent, name) => Syscall.openat(parent, name, OpenFlags.O_RDONLY | OpenFlags.O_DIRECTORY | OpenFlags.O_CLOEXEC));
        if (fd < 0)
            throw Fail("opendir", directory);
        var dir = Syscall.fdopendir(fd);
        if (dir == IntPtr.Zero)
        {
            Syscall.close(fd);
            throw Fail("opendir", directory);
        }
        try
        {
            var names = new List<string>();
            while (true)
            {
                Marshal.SetLastPInvokeError(0);
                var entry = Syscall.readdir(dir);
                if (entry is null)
                {
                    var errno = Stdlib.GetLastError();
                    if (errno != 0)
                        throw new IOException($"readdir {Names.Show(directory)}: {errno}");
                    break;
                }
                if (entry.d_name is not ("." or ".."))
                    names.Add(entry.d_name);
            }
            names.Sort((a, b) => Names.ToBytes(a).AsSpan().SequenceCompareTo(Names.ToBytes(b)));
            return names;
        }
        finally
        {
            Syscall.closedir(dir);
        }
    }

    /// <summary>The exact bytes a symlink points to.</summary>
    public static byte[] ReadLink(string path)
    {
        var buffer = new byte[4096];
        var n = LongPaths.At(path, (fd, name) => Syscall.readlinkat(fd, name, buffer));
        if (n < 0)
            throw Fail("readlink", path);
        return buffer.AsSpan(0, (int)n).ToArray();
    }

    /// <summary>
    /// Every path below <paramref name="root"/> (not the root itself), root-relative with '/'
    /// separators, parents before children, siblings in byte order.
    /// </summary>
    public static List<string> Walk(string root)
    {
        var result = new List<string>();
        void Visit(string relative)
        {
            var full = relative.Length == 0 ? root : root + "/" + relative;
            foreach (var name in ListNames(full))
            {
                var child = relative.Length == 0 ? name : relative + "/" + name;
                result.Add(child);
                if (TypeOf(Lstat(root + "/" + child)) == FilePermissions.S_IFDIR)
                    Visit(child);
            }
        }
        Visit("");
        return result;
    }

    /// <summary>Sets atime and mtime to the nanosecond without following a symlink.</summary>
    public static void SetTimes(string path, (long Seconds, long Nanoseconds) atime, (long Seconds, long Nanoseconds) mtime)
    {
        var times = new[]
        {
            new Timespec { tv_sec = atime.Seconds, tv_nsec = atime.Nanoseconds },
            new Timespec { tv_sec = mtime.Seconds, tv_nsec = mtime.Nanoseconds },
        };
        if (Syscall.utimensat(Syscall.AT_FDCWD, path, times, AtFlags.AT_SYMLINK_NOFOLLOW) != 0)
            throw Fail("utimensat", path);
    }

    /// <summary>
    /// Removes <paramref name="path"/> and everything below it, working from directory handles
    /// (openat/unlinkat), so trees deeper than PATH_MAX, names that are not UTF-8, read-only
    /// files and folders owned by others (we run as root) all go. Mount points inside must be
    /// unmounted first. A missing path is not an error.
    /// </summary>
    public static void RemoveTree(string path)
    {
        if (Syscall.lstat(path, out var st) != 0)
            return;
        if (TypeOf(st) == FilePermissions.S_IFDIR)
        {
            // Owner-only access is enough for root; for a non-root user the chmod makes it possible.
            Syscall.chmod(path, FilePermissions.S_IRWXU);
            var fd = Syscall.open(path, OpenFlags.O_RDONLY | OpenFlags.O_DIRECTORY | OpenFlags.O_NOFOLLOW | OpenFlags.O_CLOEXEC);
            if (fd < 0)
                throw Fail("open", path);
            EmptyDirectory(fd, path);
            if (Syscall.rmdir(path) != 0)
                throw Fail("rmdir", path);
        }
        else if (Syscall.unlink(path) != 0)
            throw Fail("unlink", path);
    }

    /// <summary>Empties the directory open as <paramref name="fd"/> and closes it.</summary>
    private static void EmptyDirectory(int fd, string shownPath)
    {
        var dup = Syscall.dup(fd);
        var dir = Syscall.fdopendir(dup);
        if (dir == IntPtr.Zero)
        {
            Syscall.close(dup);
            Syscall.close(fd);
            throw Fail("fdopendir", shownPath);
        }
        try
        {
            var names = new List<string>();
            Dirent? entry;
            while ((entry = Syscall.readdir(dir)) is not null)
                if (entry.d_name is not ("." or ".."))
                    names.Add(entry.d_name);
            foreach (var name in names)
            {
                if (Syscall.fstatat(fd, name, out var st, AtFlags.AT_SYMLINK_NOFOLLOW) != 0)
                    continue;
                if (TypeOf(st) == FilePermissions.S_IFDIR)
                {
                    Syscall.fchmodat(fd, name, FilePermissions.S_IRWXU, 0);
                    var child = Syscall.openat(fd, name, OpenFlags.O_RDONLY | OpenFlags.O_DIRECTORY | OpenFlags.O_NOFOLLOW | OpenFlags.O_CLOEXEC);
                    if (child < 0)
                        throw Fail("open", shownPath + "/" + name);
                    EmptyDirectory(child, shownPath + "/" + name);
                    if (Syscall.unlinkat(fd, name, AtFlags.AT_REMOVEDIR) != 0)
                        throw Fail("rmdir", shownPath + "/" + name);
                }
                else if (Syscall.unlinkat(fd, name, 0) != 0)
                    throw Fail("unlink", shownPath + "/" + name);
            }
        }
        finally
        {
            Syscall.closedir(dir);
            Syscall.close(fd);
        }
    }

    internal static void WriteAll(int fd, byte[] content, string path)
    {
        var offset = 0;
        while (offset < content.Length)
        {
            long n;
            unsafe
            {
                fixed (byte* p = content)
                    n = Syscall.write(fd, p + offset, (ulong)(content.Length - offset));
            }
            if (n < 0)
                throw Fail("write", path);
            offset += (int)n;
        }
    }

    internal static IOException Fail(string operation, string path) =>
        new($"{operation} {Names.Show(path)}: {Stdlib.GetLastError()}");
}
