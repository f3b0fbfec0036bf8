using System.Runtime.InteropServices;
using ActorBackup.Core;
using Microsoft.Win32.SafeHandles;
using Mono.Unix.Native;

namespace ActorBackup.Posix;

/// <summary>
/// The folder being backed up, and the only way a backup opens anything below it. The root
/// is opened once (following a symlink that names it: the admin chose that path); every
/// entry below is opened relative to that handle with openat2(RESOLVE_BENEATH |
/// RESOLVE_NO_SYMLINKS), so no symlink anywhere on the path is followed and nothing outside
/// the root is ever opened, whatever a user renames or swaps while the run goes on. A
/// folder on the path that became a symlink fails the open with ELOOP.
///
/// Regular files are first opened O_PATH, which runs no driver and blocks on nothing, and
/// checked with fstat; only a regular file that the caller accepts (the inode the walk saw)
/// is then opened for reading, through /proc/self/fd: the same inode, so a FIFO or device
/// node swapped in is never opened for reading. (Without /proc, in a chroot, the name is
/// opened again, non-blocking, and must give the same inode.)
///
/// Paths longer than PATH_MAX are opened in pieces, each beneath the last. Where openat2 is
/// missing (Linux before 5.6, or a seccomp filter that refuses it) each name is opened in
/// turn with O_NOFOLLOW, to the same effect. One instance per actor: not thread-safe.
/// </summary>
public sealed class SourceRoot(string path) : IDisposable
{
    private const int OPath = 0x200000;
    private const int ONoAtime = 0x40000; // same value on x86_64 and aarch64 Linux
    private const long SysOpenat2 = 437;  // the same on every architecture
    private const ulong ResolveNoMagicLinks = 0x02, ResolveNoSymlinks = 0x04, ResolveBeneath = 0x08;
    private const int Retries = 8;

    private static volatile bool _probed;
    private static volatile bool _noOpenat2;
    private static volatile bool _noProc;

    private int _fd = -1;

    /// <summary>The root folder as given; for messages and the root's own lstat.</summary>
    public string Path { get; } = path;

    /// <summary>For tests: open each name in turn, as on a kernel without openat2.</summary>
    public bool WithoutOpenat2 { get; init; }

    /// <summary>The absolute path of a root-relative one, for messages only.</summary>
    public string Shown(string relative) => relative.Length == 0 ? Path : Path.TrimEnd('/') + "/" + relative;

    /// <summary>
    /// Opens the directory at <paramref name="relative"/> ("" is the root) for listing. The
    /// caller still compares <see cref="DirectoryHandle.Meta"/> with what the parent's listing saw.
    /// </summary>
    public DirectoryHandle OpenDirectory(string relative)
    {
        var flags = (int)NativeConvert.FromOpenFlags(OpenFlags.O_RDONLY | OpenFlags.O_DIRECTORY | OpenFlags.O_NOFOLLOW | OpenFlags.O_CLOEXEC);
        var fd = OpenBeneath(relative, flags | ONoAtime, out var errno);
        if (fd < 0 && errno == Errno.EPERM)
            fd = OpenBeneath(relative, flags, out errno); // O_NOATIME needs owner or root
        if (fd < 0 && errno == Errno.ENOTDIR && IsSymlink(relative))
            errno = Errno.ELOOP; // O_DIRECTORY|O_NOFOLLOW answers a symlink with ENOTDIR: say what it is
        if (fd < 0)
            throw new PosixException(errno, "open directory", Shown(relative));
        return DirectoryHandle.Adopt(fd, Shown(relative));
    }

    private bool IsSymlink(string relative)
    {
        var fd = OpenBeneath(relative, OPath | (int)NativeConvert.FromOpenFlags(OpenFlags.O_NOFOLLOW | OpenFlags.O_CLOEXEC), out _);
        if (fd < 0)
            return false;
        var symlink = Syscall.fstat(fd, out var st) == 0 && (st.st_mode & FilePermissions.S_IFMT) == FilePermissions.S_IFLNK;
        Syscall.close(fd);
        return symlink;
    }

    /// <summary>
    /// Opens the regular file at <paramref name="relative"/> for reading (without touching
    /// its atime) if <paramref name="accept"/> takes what fstat says of it, which is returned
    /// in <paramref name="meta"/>; otherwise returns null and nothing was opened for reading
    /// (a FIFO, a device, a symlink, another inode). Throws on a failed open (ENOENT, ELOOP).
    /// </summary>
    public SafeFileHandle? OpenFile(string relative, Predicate<FileMeta> accept, out FileMeta meta)
    {
        var flags = (int)NativeConvert.FromOpenFlags(OpenFlags.O_NOFOLLOW | OpenFlags.O_CLOEXEC);
        var pathFd = OpenBeneath(relative, OPath | flags, out var errno);
        if (pathFd < 0)
            throw new PosixException(errno, "open", Shown(relative));
        try
        {
            if (Syscall.fstat(pathFd, out var st) != 0)
                throw PosixException.Last("stat", Shown(relative));
            meta = Meta.From(st);
            if (meta.Type != EntryType.File || !accept(meta))
                return null;
            var fd = Reopen(pathFd, relative, meta);
            return new SafeFileHandle(fd, ownsHandle: true);
        }
        finally
        {
            Syscall.close(pathFd);
        }
    }

    /// <summary>
    /// Waits until no write() that is under way on the file is still copying bytes. ext4,
    /// btrfs and tmpfs hold the inode's lock from a write's ctime stamp until its last byte,
    /// and take the same lock (shared) for lseek(SEEK_DATA): once that returns, every write
    /// stamped before it has finished, so a write still copying while the file is read must
    /// have begun after, and moved ctime (Linux 6.13+ stamps a ctime someone has looked at
    /// with a fresh, fine-grained time). Elsewhere (XFS, NFS) it waits for nothing.
    /// </summary>
    public static void AwaitWritesUnderWay(SafeFileHandle handle) => LibcLseek((int)handle.DangerousGetHandle(), 0, SeekData);

    /// <summary>Opens the inode an O_PATH handle holds for reading: through /proc/self/fd, so it cannot be another.</summary>
    private int Reopen(int pathFd, string relative, FileMeta meta)
    {
        var read = (int)NativeConvert.FromOpenFlags(OpenFlags.O_RDONLY | OpenFlags.O_NONBLOCK | OpenFlags.O_NOCTTY | OpenFlags.O_CLOEXEC);
        if (!_noProc)
        {
            var fd = OpenReading(LongPath.AtFdCwd, $"/proc/self/fd/{pathFd}", read, out var errno);
            if (fd >= 0)
                return fd;
            if (errno != Errno.ENOENT)
                throw new PosixException(errno, "open", Shown(relative));
            _noProc = true; // no /proc (a chroot): open the name again and compare
        }
        var again = OpenBeneath(relative, read | ONoAtime | (int)NativeConvert.FromOpenFlags(OpenFlags.O_NOFOLLOW), out var e);
        if (again < 0 && e == Errno.EPERM)
            again = OpenBeneath(relative, read | (int)NativeConvert.FromOpenFlags(OpenFlags.O_NOFOLLOW), out e);
        if (again < 0)
            throw new PosixException(e, "open", Shown(relative));
        if (Syscall.fstat(again, out var st) != 0 || st.st_ino != meta.Inode || st.st_dev != meta.Device)
        {
            Syscall.close(again);
            throw new PosixException(Errno.ESTALE, "open", Shown(relative));
        }
        return again;
    }

    private static int OpenReading(int dirfd, string name, int flags, out Errno errno)
    {
        var fd = LongPath.OpenAt(dirfd, name, flags | ONoAtime, 0);
        if (fd < 0 && Marshal.GetLastPInvokeError() == (int)NativeConvert.FromErrno(Errno.EPERM))
            fd = LongPath.OpenAt(dirfd, name, flags, 0);
        errno = fd < 0 ? NativeConvert.ToErrno(Marshal.GetLastPInvokeError()) : 0;
        return fd;
    }

    /// <summary>Opens <paramref name="relative"/> below the root with raw <paramref name="flags"/>; -1 and errno on failure.</summary>
    private int OpenBeneath(string relative, int flags, out Errno errno)
    {
        var root = Root(out errno);
        if (root < 0)
            return -1;
        if (relative.Length == 0)
            relative = ".";
        var pieces = LongPath.IsLong(relative) ? LongPath.Pieces(relative) : [relative];
        var fd = root;
        for (var i = 0; i < pieces.Count; i++)
        {
            var last = i == pieces.Count - 1;
            var pieceFlags = last ? flags : OPath | (int)NativeConvert.FromOpenFlags(OpenFlags.O_DIRECTORY | OpenFlags.O_CLOEXEC);
            var next = OpenPiece(fd, pieces[i], pieceFlags, out errno);
            if (fd != root)
                Syscall.close(fd);
            if (next < 0)
                return -1;
            fd = next;
        }
        return fd;
    }

    private int OpenPiece(int dirfd, string piece, int flags, out Errno errno)
    {
        if (_noOpenat2 || WithoutOpenat2)
            return OpenNameByName(dirfd, piece, flags, out errno);
        var bytes = LongPath.NulTerminated(piece);
        for (var attempt = 0; ; attempt++)
        {
            var fd = Openat2(dirfd, bytes, flags, ResolveBeneath | ResolveNoSymlinks | ResolveNoMagicLinks);
            if (fd >= 0)
            {
                errno = 0;
                return fd;
            }
            errno = NativeConvert.ToErrno(Marshal.GetLastPInvokeError());
            // EAGAIN: a rename elsewhere raced the lookup; the kernel asks to try again.
            if (errno != Errno.EAGAIN || attempt >= Retries)
                return -1;
        }
    }

    private static int Openat2(int dirfd, byte[] path, int flags, ulong resolve)
    {
        var how = new OpenHow { Flags = (ulong)flags, Resolve = resolve };
        return (int)LibcSyscall(SysOpenat2, dirfd, path, ref how, (nuint)Marshal.SizeOf<OpenHow>());
    }

    /// <summary>Whether this kernel, and any seccomp filter around us, lets openat2 through (once per process).</summary>
    private static void ProbeOpenat2(int root)
    {
        if (_probed)
            return;
        var fd = Openat2(root, LongPath.NulTerminated("."), OPath | (int)NativeConvert.FromOpenFlags(OpenFlags.O_CLOEXEC), ResolveNoSymlinks);
        if (fd >= 0)
            Syscall.close(fd);
        else
            _noOpenat2 = true; // ENOSYS before Linux 5.6; ENOSYS or EPERM from a seccomp filter
        _probed = true;
    }

    /// <summary>The fallback without openat2: one openat per name, each with O_NOFOLLOW.</summary>
    private static int OpenNameByName(int dirfd, string piece, int flags, out Errno errno)
    {
        var names = piece.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var fd = dirfd;
        var noFollow = (int)NativeConvert.FromOpenFlags(OpenFlags.O_NOFOLLOW);
        var directory = OPath | (int)NativeConvert.FromOpenFlags(OpenFlags.O_DIRECTORY | OpenFlags.O_NOFOLLOW | OpenFlags.O_CLOEXEC);
        errno = 0;
        for (var i = 0; i < names.Length; i++)
        {
            var last = i == names.Length - 1;
            if (names[i] == "..")
            {
                errno = Errno.EXDEV; // as RESOLVE_BENEATH answers; the walk never makes such a path
                break;
            }
            var next = LongPath.OpenAt(fd, names[i], last ? flags | noFollow : directory, 0);
            if (next < 0)
            {
                errno = NativeConvert.ToErrno(Marshal.GetLastPInvokeError());
                // O_DIRECTORY|O_NOFOLLOW answers a symlink with ENOTDIR; openat2 says ELOOP.
                if (!last && errno == Errno.ENOTDIR && Syscall.fstatat(fd, names[i], out var st, AtFlags.AT_SYMLINK_NOFOLLOW) == 0
                    && (st.st_mode & FilePermissions.S_IFMT) == FilePermissions.S_IFLNK)
                    errno = Errno.ELOOP;
            }
            if (fd != dirfd)
                Syscall.close(fd);
            if (next < 0)
                return -1;
            fd = next;
        }
        if (errno != 0)
        {
            if (fd != dirfd)
                Syscall.close(fd);
            return -1;
        }
        return fd == dirfd ? Syscall.dup(dirfd) : fd;
    }

    private int Root(out Errno errno)
    {
        errno = 0;
        if (_fd >= 0)
            return _fd;
        _fd = LongPath.OpenAt(LongPath.AtFdCwd, Path, OPath | (int)NativeConvert.FromOpenFlags(OpenFlags.O_DIRECTORY | OpenFlags.O_CLOEXEC), 0);
        if (_fd < 0)
        {
            errno = NativeConvert.ToErrno(Marshal.GetLastPInvokeError());
            return -1;
        }
        ProbeOpenat2(_fd);
        return _fd;
    }

    public void Dispose()
    {
        if (_fd >= 0)
            Syscall.close(_fd);
        _fd = -1;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct OpenHow
    {
        public ulong Flags;
        public ulong Mode;
        public ulong Resolve;
    }

    private const int SeekData = 3;

    [DllImport("libc", EntryPoint = "lseek", SetLastError = true)]
    private static extern long LibcLseek(int fd, long offset, int whence);

    [DllImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static extern long LibcSyscall(long number, int dirfd, byte[] path, ref OpenHow how, nuint size);
}
