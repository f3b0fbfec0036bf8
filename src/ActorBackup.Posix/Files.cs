using ActorBackup.Core;
using Microsoft.Win32.SafeHandles;
using Mono.Unix;
using Mono.Unix.Native;

namespace ActorBackup.Posix;

/// <summary>
/// Path-based POSIX calls. Every call that touches the disk goes through here or
/// <see cref="DirectoryHandle"/>; failures throw <see cref="PosixException"/> naming the
/// path, except where the caller must branch on the errno (Try* methods).
/// </summary>
public static class Files
{
    public static FileMeta Lstat(string path) =>
        TryLstat(path, out var meta, out var errno) ? meta! : throw new PosixException(errno, "stat", path);

    /// <summary>lstat(2); with <paramref name="via"/>, from the parent held open there.</summary>
    public static bool TryLstat(string path, out FileMeta? meta, out Errno errno, OpenDirectories? via = null)
    {
        Stat st = default;
        errno = At(path, (fd, name) => Syscall.fstatat(fd, name, out st, AtFlags.AT_SYMLINK_NOFOLLOW), via);
        if (errno == 0)
        {
            meta = Meta.From(st);
            errno = 0;
            return true;
        }
        meta = null;
        return false;
    }

    public static bool Exists(string path) => TryLstat(path, out _, out _);

    /// <summary>
    /// Opens a source file for reading without following a symlink in the last component,
    /// without blocking (a FIFO swapped in must not hang the run) and without touching atime.
    /// The caller compares <paramref name="meta"/> (from fstat) with what the walk saw.
    /// </summary>
    public static SafeFileHandle OpenSource(string path, out FileMeta meta)
    {
        var fd = Native.OpenForReading(path, OpenFlags.O_RDONLY | OpenFlags.O_NOFOLLOW | OpenFlags.O_NONBLOCK, out var errno);
        if (fd < 0)
            throw new PosixException(errno, "open", path);
        var handle = new SafeFileHandle(fd, ownsHandle: true);
        meta = Fstat(handle, path);
        return handle;
    }

    public static FileMeta Fstat(SafeFileHandle handle, string path)
    {
        if (Syscall.fstat(Fd(handle), out var st) != 0)
            throw PosixException.Last("stat", path);
        return Meta.From(st);
    }

    /// <summary>How <see cref="CreateExclusive"/> opens: write-only, the file must not exist yet, no symlink followed.</summary>
    internal const OpenFlags CreateExclusiveFlags =
        OpenFlags.O_WRONLY | OpenFlags.O_CREAT | OpenFlags.O_EXCL | OpenFlags.O_CLOEXEC | OpenFlags.O_NOFOLLOW;

    /// <summary>Creates a new file that must not exist yet, write-only, mode 0600.</summary>
    public static SafeFileHandle CreateExclusive(string path)
    {
        var fd = Syscall.open(path, CreateExclusiveFlags, FilePermissions.S_IRUSR | FilePermissions.S_IWUSR);
        if (fd < 0)
            throw PosixException.Last("create", path);
        return new SafeFileHandle(fd, ownsHandle: true);
    }

    public static void Fsync(SafeFileHandle handle, string path)
    {
        if (Syscall.fsync(Fd(handle)) != 0)
            throw PosixException.Last("fsync", path);
    }

    /// <summary>Flushes a directory's entries (new names, renames) to disk.</summary>
    public static void FsyncDirectory(string path) => OnDirectory(path, Syscall.fsync, "fsync");

    /// <summary>Sets owner, mode and mtime of an open file (a store entry being written).</summary>
    public static void SetMeta(SafeFileHandle handle, string path, uint uid, uint gid, uint mode, Timestamp mtime, bool chown)
    {
        var fd = Fd(handle);
        if (chown && Syscall.fchown(fd, uid, gid) != 0)
            throw PosixException.Last("chown", path);
        // chmod after chown: chown clears setuid/setgid.
        if (Syscall.fchmod(fd, (FilePermissions)mode) != 0)
            throw PosixException.Last("chmod", path);
        var times = new[] { new Timespec { tv_sec = 0, tv_nsec = (long)Syscall.UTIME_OMIT }, ToTimespec(mtime) };
        if (Syscall.futimens(fd, times) != 0)
            throw PosixException.Last("set times of", path);
    }

    /// <summary>
    /// link(2); returns 0 or the errno, which callers branch on (EEXIST, EMLINK).
    /// <paramref name="existing"/> must fit PATH_MAX (a store entry); <paramref name="newPath"/>
    /// is reached from its parent held in <paramref name="newVia"/> when given.
    /// </summary>
    public static Errno TryLink(string existing, string newPath, OpenDirectories? newVia = null) =>
        OpenDirectories.Link(existing, newVia, newPath);

    /// <summary>The same, the existing file given as its folder (held in <paramref name="existingVia"/>) and its name.</summary>
    public static Errno TryLink(OpenDirectories existingVia, string existingFolder, string existingName, OpenDirectories? newVia, string newPath) =>
        OpenDirectories.Link(existingVia, existingFolder, existingName, newVia, newPath);

    /// <summary>
    /// The type and size of <paramref name="name"/> in <paramref name="folder"/>, reached through
    /// <paramref name="via"/> (a symlink is reported as one, never followed); 0 or the errno.
    /// </summary>
    public static Errno TryTypeAndSize(OpenDirectories via, string folder, string name, out EntryType type, out long size) =>
        via.TypeAndSize(folder, name, out type, out size);

    /// <summary>
    /// A rename that never replaces: 0, or the errno (EEXIST: the name is taken and nothing
    /// moved). renameat2 with RENAME_NOREPLACE, each path reached from its parent held in
    /// <paramref name="fromVia"/> and <paramref name="toVia"/> when given. Where the file
    /// system lacks that flag (EINVAL), the name is looked up and then renamed: a name made
    /// between the two would be replaced, which the one writer per data folder (its lock)
    /// rules out for store entries.
    /// </summary>
    public static Errno TryRenameNoReplace(string from, string to, OpenDirectories? toVia = null, OpenDirectories? fromVia = null)
    {
        var errno = OpenDirectories.RenameNoReplace(fromVia, from, toVia, to);
        if (errno is not (Errno.EINVAL or Errno.ENOSYS))
            return errno;
        if (TryLstat(to, out _, out var lstatErrno, toVia))
            return Errno.EEXIST;
        if (lstatErrno != Errno.ENOENT)
            return lstatErrno;
        return Syscall.rename(from, to) == 0 ? 0 : Stdlib.GetLastError();
    }

    public static void Rename(string from, string to)
    {
        if (Syscall.rename(from, to) != 0)
            throw PosixException.Last($"rename {from} to", to);
    }

    /// <summary>unlink(2); returns 0 or the errno.</summary>
    public static Errno TryUnlink(string path) =>
        At(path, (fd, name) => Syscall.unlinkat(fd, name, 0));

    public static void Unlink(string path)
    {
        var errno = TryUnlink(path);
        if (errno != 0 && errno != Errno.ENOENT)
            throw new PosixException(errno, "remove", path);
    }

    /// <summary>mkdir(2); returns 0 or the errno (EEXIST is for the caller to judge).</summary>
    public static Errno TryMkdir(string path, uint mode, OpenDirectories? via = null) =>
        At(path, (fd, name) => AtCalls.Mkdir(fd, name, mode), via);

    public static Errno TrySymlink(byte[] target, string path) =>
        At(path, (fd, name) => Syscall.symlinkat(UnixEncoding.Instance.GetString(target), fd, name));

    public static Errno TryMknod(string path, EntryType type, uint mode, ulong rdev) =>
        At(path, (fd, name) => Syscall.mknodat(fd, name, (FilePermissions)(Meta.TypeBits(type) | mode), rdev));

    /// <summary>Owner of the entry itself, never a symlink's target.</summary>
    public static void Lchown(string path, uint uid, uint gid, OpenDirectories? via = null)
    {
        var errno = At(path, (fd, name) => AtCalls.Lchown(fd, name, uid, gid), via);
        if (errno != 0)
            throw new PosixException(errno, "chown", path);
    }

    public static void Chmod(string path, uint mode, OpenDirectories? via = null)
    {
        var errno = At(path, (fd, name) => AtCalls.Chmod(fd, name, mode), via);
        if (errno != 0)
            throw new PosixException(errno, "chmod", path);
    }

    /// <summary>
    /// Gives the entry at <paramref name="path"/> (a symlink itself) exactly these xattrs, see
    /// <see cref="ExtendedAttributes.TrySetAll(string, IReadOnlyList{Xattr})"/>; what could not be set, or null.
    /// </summary>
    public static FailedXattrs? SetXattrs(string path, IReadOnlyList<Xattr>? xattrs, OpenDirectories? via = null)
    {
        FailedXattrs? failed = null;
        var errno = At(path, (fd, name) =>
        {
            failed = ExtendedAttributes.TrySetAllAt(fd, name, xattrs);
            return 0;
        }, via);
        return errno == 0 ? failed : [.. (xattrs ?? []).Select(x => (x.Name, errno))];
    }

    /// <summary>Sets mtime (and leaves atime to equal it) without following a symlink.</summary>
    public static void SetTimes(string path, Timestamp mtime, OpenDirectories? via = null)
    {
        var errno = At(path, (fd, name) => AtCalls.SetTimes(fd, name, mtime), via);
        if (errno != 0)
            throw new PosixException(errno, "set times of", path);
    }

    /// <summary>Removes a file, symlink or whole directory tree, never following symlinks.</summary>
    public static void RemoveTree(string path)
    {
        if (!TryLstat(path, out var meta, out var errno))
        {
            if (errno == Errno.ENOENT)
                return;
            throw new PosixException(errno, "stat", path);
        }
        if (meta!.Type != EntryType.Directory)
        {
            Unlink(path);
            return;
        }
        using (var dir = DirectoryHandle.Open(path))
        {
            foreach (var name in dir.ListNames())
                RemoveTree(path + "/" + name);
        }
        var rmdir = At(path, (fd, name) => Syscall.unlinkat(fd, name, AtFlags.AT_REMOVEDIR));
        if (rmdir != 0 && rmdir != Errno.ENOENT)
            throw new PosixException(rmdir, "remove directory", path);
    }

    /// <summary>
    /// The path with every symlink resolved, for the part that exists; missing trailing
    /// components are appended as given. Used to check that a folder really lies where allowed.
    /// </summary>
    public static string RealPath(string path)
    {
        var existing = Path.GetFullPath(path);
        var rest = new Stack<string>();
        while (!Exists(existing) && Path.GetDirectoryName(existing) is { } parent)
        {
            rest.Push(Path.GetFileName(existing));
            existing = parent;
        }
        var real = UnixPath.GetCompleteRealPath(existing);
        while (rest.Count > 0)
            real = Path.Combine(real, rest.Pop());
        return real;
    }

    public static bool IsRoot => Syscall.geteuid() == 0;

    public static uint Euid => Syscall.geteuid();

    public static uint Egid => Syscall.getegid();

    /// <summary>Flushes the whole file system holding <paramref name="path"/> (one call instead of an fsync per directory).</summary>
    public static void SyncFileSystem(string path) => OnDirectory(path, Native.SyncFs, "sync file system of");

    /// <summary>Opens the directory <paramref name="path"/>, runs <paramref name="flush"/> on its descriptor and closes it; a failure names <paramref name="operation"/>.</summary>
    private static void OnDirectory(string path, Func<int, int> flush, string operation)
    {
        var fd = Syscall.open(path, OpenFlags.O_RDONLY | OpenFlags.O_DIRECTORY | OpenFlags.O_CLOEXEC);
        if (fd < 0)
            throw PosixException.Last("open directory", path);
        try
        {
            if (flush(fd) != 0)
                throw PosixException.Last(operation, path);
        }
        finally
        {
            Syscall.close(fd);
        }
    }

    public static bool IsTerminal(int fd) => Syscall.isatty(fd);

    /// <summary>statvfs(3): whether the file system holding <paramref name="path"/> is mounted read-only; false when it cannot be examined.</summary>
    public static bool TryStatFs(string path, out bool readOnly)
    {
        readOnly = false;
        if (Syscall.statvfs(path, out var fs) != 0)
            return false;
        readOnly = (fs.f_flag & MountFlags.ST_RDONLY) != 0;
        return true;
    }

    /// <summary>
    /// Creates a folder with <paramref name="mode"/>, and its missing parents with 0755 (a
    /// backup creates the backup folder's parent first, root-only where it must be: see
    /// SnapshotAccess.CreateGuarded).
    /// </summary>
    public static void CreateFolders(string path, uint mode)
    {
        var parent = Path.GetDirectoryName(path.TrimEnd('/'));
        if (!string.IsNullOrEmpty(parent) && !Exists(parent))
            CreateFolders(parent, 0x1ED);
        var errno = TryMkdir(path, mode);
        if (errno != 0 && errno != Errno.EEXIST)
            throw new PosixException(errno, "create folder", path);
    }

    /// <summary>The device of a path, or of its nearest existing ancestor when it does not exist yet.</summary>
    public static ulong DeviceOf(string path)
    {
        var current = Path.GetFullPath(path);
        while (true)
        {
            if (Syscall.stat(current, out var st) == 0)
                return st.st_dev;
            var parent = Path.GetDirectoryName(current);
            if (parent is null)
                throw PosixException.Last("stat", path);
            current = parent;
        }
    }

    internal static int Fd(SafeFileHandle handle) => (int)handle.DangerousGetHandle();

    /// <summary>
    /// Runs a *at call on <paramref name="path"/>: from its parent held open in
    /// <paramref name="via"/>, else as it is when it fits PATH_MAX, else on its last name
    /// from its parent's handle (a snapshot of a deep tree). Returns 0 or the errno.
    /// </summary>
    private static Errno At(string path, Func<int, string, int> call, OpenDirectories? via) =>
        via?.At(path, call) ?? At(path, call);

    internal static Errno At(string path, Func<int, string, int> call)
    {
        if (!LongPath.IsLong(path))
            return call(LongPath.AtFdCwd, path) == 0 ? 0 : Stdlib.GetLastError();
        int parent;
        string name;
        try
        {
            (parent, name) = LongPath.OpenParent(path, "open");
        }
        catch (PosixException e)
        {
            return e.Errno;
        }
        try
        {
            return call(parent, name) == 0 ? 0 : Stdlib.GetLastError();
        }
        finally
        {
            Syscall.close(parent);
        }
    }

    private static Timespec ToTimespec(Timestamp t) => new() { tv_sec = t.Seconds, tv_nsec = t.Nanoseconds };

    /// <summary>
    /// Opens an existing regular file for writing in place (no O_TRUNC, no O_CREAT), without
    /// following a symlink in the last component: verify --heal rewrites a store entry's bytes
    /// while keeping its inode, so every snapshot linking it is repaired at once.
    /// </summary>
    public static SafeFileHandle OpenExistingForWriting(string path, out FileMeta meta)
    {
        var fd = Syscall.open(path, OpenFlags.O_WRONLY | OpenFlags.O_NOFOLLOW | OpenFlags.O_NONBLOCK | OpenFlags.O_CLOEXEC);
        if (fd < 0)
            throw PosixException.Last("open for writing", path);
        var handle = new SafeFileHandle(fd, ownsHandle: true);
        meta = Fstat(handle, path);
        return handle;
    }

    /// <summary>
    /// Drops a file's clean cached pages (posix_fadvise DONTNEED): before a read, so a scrub
    /// reads the disk rather than memory; after it, so a scrub does not evict the server's
    /// useful cache. Advice only: failures are ignored.
    /// </summary>
    public static void DropCache(SafeFileHandle handle) =>
        Syscall.posix_fadvise(Fd(handle), 0, 0, PosixFadviseAdvice.POSIX_FADV_DONTNEED);
}
