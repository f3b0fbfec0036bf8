using System.Runtime.InteropServices;
using ActorBackup.Core;

namespace ActorBackup.Posix;

/// <summary>
/// The *at calls the data-store makes for every snapshot folder (mkdirat, fchownat,
/// fchmodat, utimensat), the name encoded into a stack buffer (<see cref="NameBytes"/>).
/// Through Mono.Posix each call ran its custom file-name marshaller (native memory for the
/// name, a reflection lookup of the marshaller) and, for utimensat, marshalled an array:
/// finishing a folder cost the data-store's thread, which alone makes links and is the
/// critical path of an incremental run, about as much in those marshallers as in the
/// kernel. Each returns what libc returns (-1 with errno set on failure).
/// </summary>
internal static unsafe class AtCalls
{
    /// <summary>struct timespec of 64-bit Linux (x86_64, aarch64).</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    public const int SymlinkNoFollow = 0x100; // AT_SYMLINK_NOFOLLOW

    public static int Mkdir(int dirfd, string name, uint mode)
    {
        Span<byte> bytes = name.Length <= 300 ? stackalloc byte[1024] : new byte[name.Length * 3 + 1];
        NameBytes.Encode(name, bytes);
        fixed (byte* p = bytes)
            return mkdirat(dirfd, p, mode);
    }

    /// <summary>Owner and group of the name itself, never a symlink's target.</summary>
    public static int Lchown(int dirfd, string name, uint uid, uint gid)
    {
        Span<byte> bytes = name.Length <= 300 ? stackalloc byte[1024] : new byte[name.Length * 3 + 1];
        NameBytes.Encode(name, bytes);
        fixed (byte* p = bytes)
            return fchownat(dirfd, p, uid, gid, SymlinkNoFollow);
    }

    public static int Chmod(int dirfd, string name, uint mode)
    {
        Span<byte> bytes = name.Length <= 300 ? stackalloc byte[1024] : new byte[name.Length * 3 + 1];
        NameBytes.Encode(name, bytes);
        fixed (byte* p = bytes)
            return fchmodat(dirfd, p, mode, 0);
    }

    /// <summary>Sets atime and mtime to <paramref name="time"/>, not following a symlink.</summary>
    public static int SetTimes(int dirfd, string name, Timestamp time)
    {
        Span<byte> bytes = name.Length <= 300 ? stackalloc byte[1024] : new byte[name.Length * 3 + 1];
        NameBytes.Encode(name, bytes);
        var times = stackalloc Timespec[2];
        times[0] = times[1] = new Timespec { Seconds = time.Seconds, Nanoseconds = time.Nanoseconds };
        fixed (byte* p = bytes)
            return utimensat(dirfd, p, times, SymlinkNoFollow);
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int mkdirat(int dirfd, byte* path, uint mode);

    [DllImport("libc", SetLastError = true)]
    private static extern int fchownat(int dirfd, byte* path, uint owner, uint group, int flags);

    [DllImport("libc", SetLastError = true)]
    private static extern int fchmodat(int dirfd, byte* path, uint mode, int flags);

    [DllImport("libc", SetLastError = true)]
    private static extern int utimensat(int dirfd, byte* path, Timespec* times, int flags);
}
