using System.Runtime.InteropServices;
using ActorBackup.Core;
using Microsoft.Win32.SafeHandles;
using Mono.Unix;
using Mono.Unix.Native;

namespace ActorBackup.Posix;

/// <summary>
/// A directory of a restore target, opened once and written only through its handle: every
/// entry is created, examined, changed or removed relative to the handle (the *at calls),
/// each child directory is opened with O_DIRECTORY|O_NOFOLLOW, files are created with
/// O_CREAT|O_EXCL|O_NOFOLLOW, and metadata is set with AT_SYMLINK_NOFOLLOW. So no symlink
/// inside the target, planted before or during a restore, is ever followed: a restore
/// writes nothing outside its target. Only the target itself (the user's --target) is
/// opened by path, following symlinks.
/// </summary>
public sealed class TargetDirectory : IDisposable
{
    private const uint NewFileMode = 0x180; // 0600 until the restorer sets the real mode

    private readonly int _fd;

    private TargetDirectory(int fd, string path)
    {
        _fd = fd;
        Path = path;
    }

    /// <summary>Where this directory is, for messages only (never used to reach it).</summary>
    public string Path { get; }

    /// <summary>Opens the target folder itself; a symlink naming it is followed (the user chose that path).</summary>
    public static TargetDirectory OpenTarget(string path)
    {
        var fd = Native.OpenForReading(path, OpenFlags.O_RDONLY | OpenFlags.O_DIRECTORY, out var errno);
        if (fd < 0)
            throw new PosixException(errno, "open directory", path);
        return new TargetDirectory(fd, path);
    }

    /// <summary>Opens a child directory; fails with ELOOP or ENOTDIR when it is a symlink or not a directory.</summary>
    public TargetDirectory OpenDirectory(string name)
    {
        var fd = Syscall.openat(_fd, name, OpenFlags.O_RDONLY | OpenFlags.O_DIRECTORY | OpenFlags.O_NOFOLLOW | OpenFlags.O_CLOEXEC);
        if (fd < 0)
            throw PosixException.Last("open directory", Child(name));
        return new TargetDirectory(fd, Child(name));
    }

    /// <summary>lstat of a child; null when there is none.</summary>
    public FileMeta? StatChild(string name)
    {
        if (Syscall.fstatat(_fd, name, out var st, AtFlags.AT_SYMLINK_NOFOLLOW) == 0)
            return Meta.From(st);
        var errno = Stdlib.GetLastError();
        if (errno == Errno.ENOENT)
            return null;
        throw new PosixException(errno, "stat", Child(name));
    }

    /// <summary>Names in this directory, without "." and "..".</summary>
    public List<string> ListNames()
    {
        var dup = Syscall.dup(_fd);
        if (dup < 0)
            throw PosixException.Last("dup", Path);
        var dir = Syscall.fdopendir(dup);
        if (dir == IntPtr.Zero)
        {
            var e = PosixException.Last("list", Path);
            Syscall.close(dup);
            throw e;
        }
        try
        {
            Syscall.rewinddir(dir);
            var names = new List<string>();
            while (true)
            {
                Marshal.SetLastPInvokeError(0);
                var entry = Syscall.readdir(dir);
                if (entry is null)
                {
                    var errno = Stdlib.GetLastError();
                    if (errno != 0)
                        throw new PosixException(errno, "list", Path);
                    return names;
                }
                if (entry.d_name is not ("." or ".."))
                    names.Add(entry.d_name);
            }
        }
        finally
        {
            Syscall.closedir(dir);
        }
    }

    /// <summary>mkdirat; returns 0 or the errno (EEXIST is for the caller to judge).</summary>
    public Errno TryMakeDirectory(string name, uint mode) =>
        Syscall.mkdirat(_fd, name, (FilePermissions)mode) == 0 ? 0 : Stdlib.GetLastError();

    /// <summary>Creates a new regular file, write-only, mode 0600; fails (EEXIST, ELOOP) when anything is at that name.</summary>
    public SafeFileHandle CreateFile(string name)
    {
        var fd = Syscall.openat(_fd, name, OpenFlags.O_WRONLY | OpenFlags.O_CREAT | OpenFlags.O_EXCL | OpenFlags.O_NOFOLLOW | OpenFlags.O_CLOEXEC,
            (FilePermissions)NewFileMode);
        if (fd < 0)
            throw PosixException.Last("create", Child(name));
        return new SafeFileHandle(fd, ownsHandle: true);
    }

    /// <summary>symlinkat with the exact target bytes; returns 0 or the errno.</summary>
    public Errno TryMakeSymlink(byte[] target, string name) =>
        Syscall.symlinkat(UnixEncoding.Instance.GetString(target), _fd, name) == 0 ? 0 : Stdlib.GetLastError();

    /// <summary>mknodat of a FIFO or device node, mode 0600 until its metadata is set; returns 0 or the errno.</summary>
    public Errno TryMakeNode(string name, EntryType type, ulong rdev) =>
        Syscall.mknodat(_fd, name, (FilePermissions)(Meta.TypeBits(type) | NewFileMode), rdev) == 0 ? 0 : Stdlib.GetLastError();

    /// <summary>
    /// linkat of <paramref name="fromName"/> in <paramref name="from"/> as <paramref name="name"/>
    /// here, never following a symlink at the old name (the link would name the symlink
    /// itself); returns 0 or the errno (EEXIST, EXDEV, EMLINK, ENOENT are for the caller to judge).
    /// </summary>
    public Errno TryLink(TargetDirectory from, string fromName, string name) =>
        Syscall.linkat(from._fd, fromName, _fd, name, 0) == 0 ? 0 : Stdlib.GetLastError();

    /// <summary>Removes a child that is not a directory (unlinkat never follows a symlink: the link itself goes).</summary>
    public void Remove(string name)
    {
        if (Syscall.unlinkat(_fd, name, 0) != 0 && Stdlib.GetLastError() != Errno.ENOENT)
            throw PosixException.Last("remove", Child(name));
    }

    /// <summary>
    /// Owner (when <paramref name="chown"/>), mode (not for a symlink, whose mode Linux
    /// ignores) and mtime of a child, never following it if it is a symlink.
    /// </summary>
    public void SetChildMeta(string name, FileMeta meta, bool chown)
    {
        if (chown && Syscall.fchownat(_fd, name, meta.Uid, meta.Gid, AtFlags.AT_SYMLINK_NOFOLLOW) != 0)
            throw PosixException.Last("chown", Child(name));
        // chmod after chown: chown clears setuid/setgid.
        if (meta.Type != EntryType.Symlink && Syscall.fchmodat(_fd, name, (FilePermissions)meta.Mode, AtFlags.AT_SYMLINK_NOFOLLOW) != 0)
            throw PosixException.Last("chmod", Child(name));
        if (Syscall.utimensat(_fd, name, Times(meta.Mtime), AtFlags.AT_SYMLINK_NOFOLLOW) != 0)
            throw PosixException.Last("set times of", Child(name));
    }

    /// <summary>
    /// Gives a child (a symlink itself) exactly <paramref name="xattrs"/>, ACLs included (see
    /// <see cref="ExtendedAttributes"/>); what could not be set, or null.
    /// </summary>
    public FailedXattrs? SetChildXattrs(string name, IReadOnlyList<Xattr>? xattrs) =>
        ExtendedAttributes.TrySetAllAt(_fd, name, xattrs);

    /// <summary>The same for this directory itself, through its handle.</summary>
    public FailedXattrs? SetXattrs(IReadOnlyList<Xattr>? xattrs) =>
        ExtendedAttributes.TrySetAllAt(_fd, "", xattrs);

    /// <summary>This directory's default ACL (what entries made in it inherit); null when none.</summary>
    public byte[]? DefaultAcl()
    {
        var errno = ExtendedAttributes.TryGetAt(_fd, "", PosixAcl.DefaultXattr, out var value);
        return errno == 0 ? value : null;
    }

    /// <summary>Owner (when <paramref name="chown"/>), mode and mtime of this directory itself, through its handle.</summary>
    public void SetMeta(FileMeta meta, bool chown)
    {
        if (chown && Syscall.fchown(_fd, meta.Uid, meta.Gid) != 0)
            throw PosixException.Last("chown", Path);
        if (Syscall.fchmod(_fd, (FilePermissions)meta.Mode) != 0)
            throw PosixException.Last("chmod", Path);
        if (Syscall.futimens(_fd, Times(meta.Mtime)) != 0)
            throw PosixException.Last("set times of", Path);
    }

    /// <summary>atime and mtime both set to <paramref name="mtime"/> (the manifest keeps no atime).</summary>
    private static Timespec[] Times(Timestamp mtime)
    {
        var t = new Timespec { tv_sec = mtime.Seconds, tv_nsec = mtime.Nanoseconds };
        return [t, t];
    }

    private string Child(string name) => Path.EndsWith('/') ? Path + name : Path + "/" + name;

    public void Dispose() => Syscall.close(_fd);
}
