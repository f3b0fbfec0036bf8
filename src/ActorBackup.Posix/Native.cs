using System.Runtime.InteropServices;
using Mono.Unix;
using Mono.Unix.Native;

namespace ActorBackup.Posix;

/// <summary>
/// The few calls Mono.Posix cannot make as we need them: its OpenFlags has no O_NOATIME
/// (reading a file must not change the source's atime), so open goes to libc directly,
/// with the path as raw bytes.
/// </summary>
internal static class Native
{
    /// <summary>Same value on x86_64 and aarch64 Linux.</summary>
    private const int ONoAtime = 0x40000;

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int LibcOpen(byte[] path, int flags, uint mode);

    /// <summary>
    /// Opens read-only with <paramref name="flags"/>, adding O_NOATIME where allowed
    /// (owner or root); falls back without it on EPERM. Returns -1 with errno set on failure.
    /// </summary>
    public static int OpenForReading(string path, OpenFlags flags, out Errno errno)
    {
        var native = NativeConvert.FromOpenFlags(flags | OpenFlags.O_CLOEXEC);
        if (LongPath.IsLong(path))
            return OpenLong(path, native, out errno);
        var bytes = NulTerminated(path);
        var fd = LibcOpen(bytes, native | ONoAtime, 0);
        if (fd < 0 && NativeConvert.ToErrno(Marshal.GetLastPInvokeError()) == Errno.EPERM)
            fd = LibcOpen(bytes, native, 0);
        errno = fd < 0 ? NativeConvert.ToErrno(Marshal.GetLastPInvokeError()) : 0;
        return fd;
    }

    /// <summary>The same for a path longer than PATH_MAX: its last name opened from its parent's handle.</summary>
    private static int OpenLong(string path, int native, out Errno errno)
    {
        int parent;
        string name;
        try
        {
            (parent, name) = LongPath.OpenParent(path, "open");
        }
        catch (PosixException e)
        {
            errno = e.Errno;
            return -1;
        }
        var fd = LongPath.OpenAt(parent, name, native | ONoAtime, 0);
        if (fd < 0 && NativeConvert.ToErrno(Marshal.GetLastPInvokeError()) == Errno.EPERM)
            fd = LongPath.OpenAt(parent, name, native, 0);
        errno = fd < 0 ? NativeConvert.ToErrno(Marshal.GetLastPInvokeError()) : 0;
        Syscall.close(parent);
        return fd;
    }

    [DllImport("libc", EntryPoint = "syncfs", SetLastError = true)]
    public static extern int SyncFs(int fd);

    private static byte[] NulTerminated(string path)
    {
        var encoded = UnixEncoding.Instance.GetBytes(path);
        var bytes = new byte[encoded.Length + 1];
        encoded.CopyTo(bytes, 0);
        return bytes;
    }
}
