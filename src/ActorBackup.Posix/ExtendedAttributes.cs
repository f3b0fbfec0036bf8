using System.Runtime.InteropServices;
using ActorBackup.Core;
using Microsoft.Win32.SafeHandles;
using Mono.Unix.Native;

namespace ActorBackup.Posix;

/// <summary>
/// Reads and writes extended attributes (POSIX ACLs are the system.posix_acl_* ones) without
/// following a symlink and without resolving a path anew: a child of a held directory through
/// the *xattrat(2) calls (Linux 6.13; before it, the child's name below /proc/self/fd/N of the
/// directory, where only that last name is looked up), an open file through its descriptor.
/// Paths are used only inside folders this program owns (the store, the snapshot being built).
///
/// A file system without xattrs reads as having none; writing to one fails with EOPNOTSUPP,
/// which callers report once per run (see <see cref="XattrFailures"/>).
/// </summary>
public static class ExtendedAttributes
{
    private const long SysSetxattrat = 463; // the same on every architecture
    private const long SysGetxattrat = 464;
    private const long SysListxattrat = 465;
    private const long SysRemovexattrat = 466;
    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const int AtEmptyPath = 0x1000;
    private const int Small = 512;
    private const int Largest = 1 << 20; // far past XATTR_SIZE_MAX (64 KiB) and XATTR_LIST_MAX

    private static volatile bool _noXattrat;

    [StructLayout(LayoutKind.Sequential)]
    private struct XattrArgs
    {
        public ulong Value;
        public uint Size;
        public uint Flags;
    }

    /// <summary>Where a call lands: a name in a directory, a path (dirfd AT_FDCWD), or an open file (name empty).</summary>
    private readonly record struct Where(int Fd, string Name)
    {
        public int Flags => Name.Length == 0 ? AtEmptyPath : AtSymlinkNoFollow;
    }

    /// <summary>
    /// The value of <paramref name="attribute"/> of <paramref name="child"/> in the directory
    /// <paramref name="dirfd"/>; 0 and null when it has none (or its file system keeps none);
    /// else the errno (ENOENT: the child vanished).
    /// </summary>
    internal static Errno TryGetAt(int dirfd, string child, string attribute, out byte[]? value) =>
        TryGet(new Where(dirfd, child), PathBytes(attribute), out value);

    /// <summary>
    /// Every extended attribute of <paramref name="child"/> in <paramref name="dirfd"/>, in name
    /// byte order; 0 and null when it has none (or its file system keeps none); else the errno.
    /// An attribute removed between the listing and its read is left out.
    /// </summary>
    internal static Errno TryListAt(int dirfd, string child, out List<Xattr>? xattrs) => TryList(new Where(dirfd, child), out xattrs);

    /// <summary>The same for the file or directory at <paramref name="path"/> (a symlink itself, not followed).</summary>
    public static Errno TryList(string path, out List<Xattr>? xattrs) => TryList(new Where(AtFdCwd, path), out xattrs);

    /// <summary>The same for an open file.</summary>
    public static Errno TryList(SafeFileHandle file, out List<Xattr>? xattrs) => TryList(new Where(Files.Fd(file), ""), out xattrs);

    /// <summary>
    /// Gives the entry at <paramref name="path"/> exactly <paramref name="xattrs"/>: each is set,
    /// and an ACL it has that the list does not name (inherited from a folder's default ACL) is
    /// removed. Other attributes it has are left (a security label its system gave it).
    /// Returns what could not be set, with why; null when all were.
    /// </summary>
    public static FailedXattrs? TrySetAll(string path, IReadOnlyList<Xattr>? xattrs) =>
        SetAll(new Where(AtFdCwd, path), xattrs);

    /// <summary>The same for a child of a held directory.</summary>
    internal static FailedXattrs? TrySetAllAt(int dirfd, string child, IReadOnlyList<Xattr>? xattrs) =>
        SetAll(new Where(dirfd, child), xattrs);

    /// <summary>The same for an open file.</summary>
    public static FailedXattrs? TrySetAll(SafeFileHandle file, IReadOnlyList<Xattr>? xattrs) =>
        SetAll(new Where(Files.Fd(file), ""), xattrs);

    /// <summary>
    /// Whether files in <paramref name="folder"/> keep extended attributes: makes a probe file,
    /// sets a user.* attribute on it, removes it. 0 when it kept it, else the errno (EOPNOTSUPP
    /// on a file system without xattrs, such as ramfs or vfat).
    /// </summary>
    public static Errno Probe(string folder)
    {
        var probe = System.IO.Path.Combine(folder, $"{Environment.ProcessId}-xattr-probe.tmp");
        Files.TryUnlink(probe);
        try
        {
            using var file = Files.CreateExclusive(probe);
            var failed = TrySetAll(file, [new Xattr("user.actorbackup.probe", [1])]);
            return failed is null ? 0 : failed[0].Errno;
        }
        catch (PosixException e)
        {
            return e.Errno;
        }
        finally
        {
            Files.TryUnlink(probe);
        }
    }

    private static FailedXattrs? SetAll(Where where, IReadOnlyList<Xattr>? xattrs)
    {
        FailedXattrs? failed = null;
        foreach (var acl in PosixAcl.Xattrs)
        {
            if (xattrs is not null && xattrs.Any(x => x.Name == acl))
                continue;
            var errno = TryRemove(where, PathBytes(acl));
            if (errno is not (0 or Errno.ENODATA or Errno.EOPNOTSUPP))
                (failed ??= []).Add((acl, errno));
        }
        foreach (var x in xattrs ?? [])
        {
            var errno = TrySet(where, PathBytes(x.Name), x.Value);
            if (errno != 0)
                (failed ??= []).Add((x.Name, errno));
        }
        return failed;
    }

    private static unsafe Errno TryList(Where where, out List<Xattr>? xattrs)
    {
        xattrs = null;
        byte[]? names = null;
        Span<byte> buffer = stackalloc byte[Small];
        for (var size = Small; ; size *= 4)
        {
            var target = size == Small ? buffer : new byte[size];
            long got;
            fixed (byte* list = target)
                got = List(where, list, size);
            if (got >= 0)
            {
                if (got == 0)
                    return 0;
                names = target[..(int)got].ToArray();
                break;
            }
            var errno = LastErrno();
            if (errno == Errno.EOPNOTSUPP)
                return 0;
            if (errno != Errno.ERANGE || size >= Largest)
                return errno;
        }
        var found = new List<(byte[] Name, byte[] Value)>();
        foreach (var range in names.AsSpan().Split((byte)0))
        {
            var name = names.AsSpan()[range];
            if (name.IsEmpty)
                continue;
            var nul = new byte[name.Length + 1];
            name.CopyTo(nul);
            var errno = TryGet(where, nul, out var value);
            if (errno != 0)
                return errno;
            if (value is not null)
                found.Add((name.ToArray(), value));
        }
        if (found.Count == 0)
            return 0;
        found.Sort((a, b) => a.Name.AsSpan().SequenceCompareTo(b.Name));
        xattrs = found.ConvertAll(f => new Xattr(NameBytes.Decode(f.Name), f.Value));
        return 0;
    }

    private static unsafe Errno TryGet(Where where, byte[] attribute, out byte[]? value)
    {
        value = null;
        Span<byte> buffer = stackalloc byte[Small];
        for (var size = Small; ; size *= 4)
        {
            var target = size == Small ? buffer : new byte[size];
            long got;
            fixed (byte* v = target)
            fixed (byte* a = attribute)
                got = Get(where, a, v, size);
            if (got >= 0)
            {
                value = target[..(int)got].ToArray();
                return 0;
            }
            var errno = LastErrno();
            if (errno is Errno.ENODATA or Errno.EOPNOTSUPP) // EOPNOTSUPP is ENOTSUP on Linux
                return 0;
            if (errno != Errno.ERANGE || size >= Largest)
                return errno;
        }
    }

    private static unsafe Errno TrySet(Where where, byte[] attribute, byte[] value)
    {
        long done;
        fixed (byte* a = attribute)
        fixed (byte* v = value)
            done = Set(where, a, v, value.Length);
        return done >= 0 ? 0 : LastErrno();
    }

    private static unsafe Errno TryRemove(Where where, byte[] attribute)
    {
        long done;
        fixed (byte* a = attribute)
            done = Remove(where, a);
        return done >= 0 ? 0 : LastErrno();
    }

    private static Errno LastErrno() => NativeConvert.ToErrno(Marshal.GetLastPInvokeError());

    private static bool NoXattrat(long result)
    {
        if (result >= 0 || Marshal.GetLastPInvokeError() != (int)NativeConvert.FromErrno(Errno.ENOSYS))
            return false;
        _noXattrat = true; // before Linux 6.13
        return true;
    }

    // Each call: the *xattrat syscall, or where it is missing, the f*/l* call on the same target.

    private static unsafe long List(Where w, byte* list, int size)
    {
        if (!_noXattrat)
        {
            long got;
            fixed (byte* n = NameOf(w))
                got = Listxattrat(SysListxattrat, w.Fd, n, w.Flags, list, (nuint)size);
            if (!NoXattrat(got))
                return got;
        }
        if (w.Name.Length == 0)
            return Flistxattr(w.Fd, list, (nuint)size);
        fixed (byte* p = FallbackPath(w))
            return Llistxattr(p, list, (nuint)size);
    }

    private static unsafe long Get(Where w, byte* attribute, byte* value, int size)
    {
        if (!_noXattrat)
        {
            var args = new XattrArgs { Value = (ulong)value, Size = (uint)size };
            long got;
            fixed (byte* n = NameOf(w))
                got = Getxattrat(SysGetxattrat, w.Fd, n, w.Flags, attribute, &args, (nuint)sizeof(XattrArgs));
            if (!NoXattrat(got))
                return got;
        }
        if (w.Name.Length == 0)
            return Fgetxattr(w.Fd, attribute, value, (nuint)size);
        fixed (byte* p = FallbackPath(w))
            return Lgetxattr(p, attribute, value, (nuint)size);
    }

    private static unsafe long Set(Where w, byte* attribute, byte* value, int size)
    {
        if (!_noXattrat)
        {
            var args = new XattrArgs { Value = (ulong)value, Size = (uint)size };
            long done;
            fixed (byte* n = NameOf(w))
                done = Setxattrat(SysSetxattrat, w.Fd, n, w.Flags, attribute, &args, (nuint)sizeof(XattrArgs));
            if (!NoXattrat(done))
                return done;
        }
        if (w.Name.Length == 0)
            return Fsetxattr(w.Fd, attribute, value, (nuint)size, 0);
        fixed (byte* p = FallbackPath(w))
            return Lsetxattr(p, attribute, value, (nuint)size, 0);
    }

    private static unsafe long Remove(Where w, byte* attribute)
    {
        if (!_noXattrat)
        {
            long done;
            fixed (byte* n = NameOf(w))
                done = Removexattrat(SysRemovexattrat, w.Fd, n, w.Flags, attribute);
            if (!NoXattrat(done))
                return done;
        }
        if (w.Name.Length == 0)
            return Fremovexattr(w.Fd, attribute);
        fixed (byte* p = FallbackPath(w))
            return Lremovexattr(p, attribute);
    }

    private static byte[] NameOf(Where w) => w.Name.Length == 0 ? [0] : LongPath.NulTerminated(w.Name);

    /// <summary>The path the l* calls take: the path itself, or the child's name below /proc/self/fd/N of its directory.</summary>
    private static byte[] FallbackPath(Where w) =>
        LongPath.NulTerminated(w.Fd == AtFdCwd ? w.Name : $"/proc/self/fd/{w.Fd}/{w.Name}");

    private static byte[] PathBytes(string name) => LongPath.NulTerminated(name);

    [DllImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static extern unsafe long Getxattrat(long number, int dirfd, byte* path, int atFlags, byte* name, XattrArgs* args, nuint size);

    [DllImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static extern unsafe long Setxattrat(long number, int dirfd, byte* path, int atFlags, byte* name, XattrArgs* args, nuint size);

    [DllImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static extern unsafe long Listxattrat(long number, int dirfd, byte* path, int atFlags, byte* list, nuint size);

    [DllImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static extern unsafe long Removexattrat(long number, int dirfd, byte* path, int atFlags, byte* name);

    [DllImport("libc", EntryPoint = "lgetxattr", SetLastError = true)]
    private static extern unsafe long Lgetxattr(byte* path, byte* name, byte* value, nuint size);

    [DllImport("libc", EntryPoint = "fgetxattr", SetLastError = true)]
    private static extern unsafe long Fgetxattr(int fd, byte* name, byte* value, nuint size);

    [DllImport("libc", EntryPoint = "llistxattr", SetLastError = true)]
    private static extern unsafe long Llistxattr(byte* path, byte* list, nuint size);

    [DllImport("libc", EntryPoint = "flistxattr", SetLastError = true)]
    private static extern unsafe long Flistxattr(int fd, byte* list, nuint size);

    [DllImport("libc", EntryPoint = "lsetxattr", SetLastError = true)]
    private static extern unsafe int Lsetxattr(byte* path, byte* name, byte* value, nuint size, int flags);

    [DllImport("libc", EntryPoint = "fsetxattr", SetLastError = true)]
    private static extern unsafe int Fsetxattr(int fd, byte* name, byte* value, nuint size, int flags);

    [DllImport("libc", EntryPoint = "lremovexattr", SetLastError = true)]
    private static extern unsafe int Lremovexattr(byte* path, byte* name);

    [DllImport("libc", EntryPoint = "fremovexattr", SetLastError = true)]
    private static extern unsafe int Fremovexattr(int fd, byte* name);
}
