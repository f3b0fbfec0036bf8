using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using Mono.Unix.Native;

namespace ActorBackup.Posix;

/// <summary>
/// Where an open file's data and holes lie (lseek(2) SEEK_DATA / SEEK_HOLE), so that a
/// sparse file's gigabytes of holes are hashed as zeros without being read. Mono.Posix's
/// lseek knows only SEEK_SET/CUR/END, so these go to libc directly. Any failure answers
/// "data": reading a hole returns its zeros anyway, so the answer is only ever slower,
/// never wrong. The file position is not used by anyone (reads are pread).
/// </summary>
public static class Holes
{
    // Linux values, the same on x86_64 and aarch64.
    private const int SeekEnd = 2;
    private const int SeekData = 3;
    private const int SeekHole = 4;

    [DllImport("libc", EntryPoint = "lseek", SetLastError = true)]
    private static extern long Lseek(int fd, long offset, int whence);

    /// <summary>
    /// The start of the first hole at or after <paramref name="offset"/> (the end of the file
    /// counts as one); long.MaxValue when there is none to be had (past the end, or no support).
    /// </summary>
    public static long NextHole(SafeFileHandle handle, long offset)
    {
        var at = Lseek(Files.Fd(handle), offset, SeekHole);
        return at >= 0 ? at : long.MaxValue;
    }

    /// <summary>
    /// The start of the first data at or after <paramref name="offset"/>; -1 when only a hole
    /// remains up to the end (ENXIO); <paramref name="offset"/> itself when unknown.
    /// </summary>
    public static long NextData(SafeFileHandle handle, long offset)
    {
        var at = Lseek(Files.Fd(handle), offset, SeekData);
        if (at >= 0)
            return at;
        return NativeConvert.ToErrno(Marshal.GetLastPInvokeError()) == Errno.ENXIO ? -1 : offset;
    }

    /// <summary>The file's current length; -1 on failure.</summary>
    public static long End(SafeFileHandle handle) => Lseek(Files.Fd(handle), 0, SeekEnd);
}
