using System.Runtime.InteropServices;
using Mono.Unix.Native;

namespace ActorBackup.Posix;

/// <summary>
/// Reads extended attributes without following a symlink and without resolving a path anew:
/// a child of a held directory through getxattrat(2) (Linux 6.13; before it, the child's
/// name below /proc/self/fd/N of the directory, where only that last name is looked up).
/// An attribute that is absent, or a file system without xattrs, reads as null.
/// </summary>
public static class ExtendedAttributes
{
    private const long SysGetxattrat = 464; // the same on every architecture
    private const int AtSymlinkNoFollow = 0x100;
    private const int Small = 512;

    private static volatile bool _noGetxattrat;

    [StructLayout(LayoutKind.Sequential)]
    private struct XattrArgs
    {
        public ulong Value;
        public uint Size;
        public uint Flags;
    }

    /// <summary>
    /// The value of <paramref name="attribute"/> of <paramref name="child"/> in the directory
    /// <paramref name="dirfd"/>; 0 and null when it has none (or its file system keeps none);
    /// else the errno (ENOENT: the child vanished).
    /// </summary>
    internal static unsafe Errno TryGetAt(int dirfd, string child, string attribute, out byte[]? value)
    {
        value = null;
        Span<byte> name = child.Length <= 300 ? stackalloc byte[1024] : new byte[child.Length * 3 + 1];
        NameBytes.Encode(child, name);
        var attr = Ascii(attribute);
        Span<byte> buffer = stackalloc byte[Small];
        fixed (byte* n = name)
        fixed (byte* a = attr)
        {
            for (var size = Small; ; size *= 4)
            {
                var target = size == Small ? buffer : new byte[size];
                long got;
                fixed (byte* v = target)
                    got = GetAt(dirfd, n, a, v, size, child);
                if (got >= 0)
                {
                    value = target[..(int)got].ToArray();
                    return 0;
                }
                var errno = NativeConvert.ToErrno(Marshal.GetLastPInvokeError());
                if (errno is Errno.ENODATA or Errno.EOPNOTSUPP) // EOPNOTSUPP is ENOTSUP on Linux
                    return 0;
                if (errno != Errno.ERANGE || size >= 1 << 20)
                    return errno;
            }
        }
    }

    /// <summary>getxattrat, or lgetxattr of /proc/self/fd/DIRFD/NAME where it is missing; -1 and errno on failure.</summary>
    private static unsafe long GetAt(int dirfd, byte* name, byte* attribute, byte* value, int size, string child)
    {
        if (!_noGetxattrat)
        {
            var args = new XattrArgs { Value = (ulong)value, Size = (uint)size };
            var got = Getxattrat(SysGetxattrat, dirfd, name, AtSymlinkNoFollow, attribute, &args, (nuint)sizeof(XattrArgs));
            if (got >= 0 || Marshal.GetLastPInvokeError() != (int)NativeConvert.FromErrno(Errno.ENOSYS))
                return got;
            _noGetxattrat = true; // before Linux 6.13
        }
        var path = LongPath.NulTerminated($"/proc/self/fd/{dirfd}/{child}");
        fixed (byte* p = path)
            return Lgetxattr(p, attribute, value, (nuint)size);
    }

    private static byte[] Ascii(string text)
    {
        var bytes = new byte[text.Length + 1];
        for (var i = 0; i < text.Length; i++)
            bytes[i] = (byte)text[i];
        return bytes;
    }

    [DllImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static extern unsafe long Getxattrat(long number, int dirfd, byte* path, int atFlags, byte* name, XattrArgs* args, nuint size);

    [DllImport("libc", EntryPoint = "lgetxattr", SetLastError = true)]
    private static extern unsafe long Lgetxattr(byte* path, byte* name, byte* value, nuint size);
}
